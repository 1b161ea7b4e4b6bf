import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { EventGenerator } from "../events/generator.ts";
import { Lake } from "./duckdb.ts";
import { encodeParquet, type SinkRow } from "./parquet.ts";
import { rowObjects } from "./report_format.ts";
import { runReport } from "./reports.ts";

const DAY_MS = 86_400_000;

/** A local lake of a seeded 3-day backfill (one file per date), plus rows with odd tokens. */
async function lakeDir(): Promise<{ dir: string; rows: SinkRow[] }> {
  const now = Date.UTC(2025, 5, 16, 12); // Monday noon: Saturday and Sunday are inside
  const gen = new EventGenerator({
    seed: 21,
    users: 200,
    tracks: 500,
    now: () => now,
    backfillMs: 3 * DAY_MS,
    backfillEvents: 6000,
  });
  const rows: SinkRow[] = Array.from({ length: 6000 }, (_, i) => {
    const event = gen.next();
    if (i % 1000 === 0) event.event_param.platform_token = `SeedToken${i}`;
    return { event, partition: 0, offset: BigInt(i), timestamp: event.event_timestamp.ts_ms };
  });
  const dir = await Deno.makeTempDir();
  const files = Map.groupBy(
    rows,
    (r) => new Date(r.event.event_timestamp.ts_ms).toISOString().slice(0, 10),
  );
  for (const [date, rs] of files) {
    await Deno.mkdir(`${dir}/dt=${date}`, { recursive: true });
    await Deno.writeFile(
      `${dir}/dt=${date}/t+0+${rs[0]!.offset}.parquet`,
      encodeParquet(rs, "none"),
    );
  }
  return { dir, rows };
}

Deno.test("reports by-hour and platforms agree with the rows they read", async () => {
  const { dir, rows } = await lakeDir();
  const lake = await Lake.open({ root: dir });
  try {
    const byHour = rowObjects(await runReport(lake, "by-hour"));
    const expected = Array.from({ length: 24 }, (_, h) => {
      const of = rows.filter((r) => new Date(r.event.event_timestamp.ts_ms).getUTCHours() === h);
      const type = (id: number) =>
        of.filter((r) => r.event.event_param.event_type_id === id).length;
      const weekend = of.filter((r) =>
        [0, 6].includes(new Date(r.event.event_timestamp.ts_ms).getUTCDay())
      );
      return [h, type(1), type(2), type(3), of.length, weekend.length];
    }).filter((x) => x[4]! > 0);
    assertEquals(
      byHour.map((
        r,
      ) => [r.hour, r.track_playback, r.pause_track, r.resume_track, r.total, r.weekend]),
      expected,
    );
    const pct = byHour.reduce((s, r) => s + Number(r.pct), 0);
    ok(Math.abs(pct - 100) < 0.2, `${pct}`);
    // The rhythm shows: the evening hours hold far more than the night hours.
    const at = (h: number) => Number(byHour.find((r) => r.hour === h)?.total ?? 0);
    ok(at(19) > 3 * at(4), `${at(19)} vs ${at(4)}`);

    const platforms = rowObjects(await runReport(lake, "platforms"));
    const prefix = (t: string) => /^([a-z]+)-/.exec(t)?.[1] ?? "(unknown)";
    const counts = Map.groupBy(rows, (r) => prefix(r.event.event_param.platform_token));
    assertEquals(
      platforms.map((r) => [r.platform, r.events, r.users]),
      [...counts].map((
        [p, rs],
      ) => [p, rs.length, new Set(rs.map((r) => r.event.event_param.user_id)).size])
        .sort((a, b) => Number(b[1]) - Number(a[1]) || String(a[0]).localeCompare(String(b[0]))),
    );
    ok(platforms.some((r) => r.platform === "(unknown)"));
  } finally {
    lake.close();
    await Deno.remove(dir, { recursive: true });
  }
});
