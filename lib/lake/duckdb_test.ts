import { deepStrictEqual as assertEquals, ok, rejects, throws } from "node:assert/strict";
import { UserError } from "../core/errors.ts";
import { parseDate } from "../core/flags.ts";
import { Lake } from "./duckdb.ts";
import { describeDuckDBError, duckdbString as sqlString, eventsViewSql } from "./duckdb_sql.ts";
import { lakeGlob, s3Root } from "./keys.ts";
import { EventGenerator } from "../events/generator.ts";
import { encodeParquet, type SinkRow } from "./parquet.ts";

Deno.test("s3Root, lakeGlob, parseDate, sqlString", () => {
  assertEquals(s3Root("prod-python", "music_events"), "s3://prod-python/music_events");
  assertEquals(s3Root("b", "/a/b/"), "s3://b/a/b");
  assertEquals(s3Root("b", ""), "s3://b");
  throws(() => s3Root("b", "x'; DROP"), UserError);
  throws(() => s3Root("b", "a/../b"), UserError);
  assertEquals(lakeGlob("s3://b/p/"), "s3://b/p/dt=*/*.parquet");
  assertEquals(parseDate("2024-02-29", "--from"), "2024-02-29");
  throws(() => parseDate("2023-02-29", "--from"), /--from has "2023-02-29"/);
  throws(() => parseDate("yesterday", "--to"), UserError);
  assertEquals(sqlString("it's"), "'it''s'");
  ok(eventsViewSql(["s3://b/p/dt=2024-01-01/t+0+0.parquet"]).includes("['s3://b/p/dt="));
});

Deno.test("describeDuckDBError: one actionable line", () => {
  assertEquals(
    describeDuckDBError(
      new Error('IO Error: No files found that match the pattern "/x/dt=*/*.parquet"'),
      "/x",
    ),
    "No Parquet files under /x/dt=*/ — the lake is empty (check --bucket/--prefix, or run the sink)",
  );
  assertEquals(
    describeDuckDBError(new Error("HTTP Error: … (HTTP 404)\n\nNoSuchBucket: gone"), "s3://bk/p"),
    'S3 bucket "bk" does not exist (check --bucket or S3_BUCKET)',
  );
  assertEquals(
    describeDuckDBError(
      new Error(
        'Failed to extract statements: Parser Error: syntax error at or near "SELEC"\n\nLINE 1: SELEC 1\n        ^',
      ),
      "/x",
    ),
    'Parser Error: syntax error at or near "SELEC"\nLINE 1: SELEC 1\n        ^',
  );
});

Deno.test("Lake over a local directory: view, parameters, date pruning, errors", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let now = Date.UTC(2024, 0, 1, 12);
    const gen = new EventGenerator({
      seed: 3,
      users: 20,
      tracks: 30,
      now: () => (now += 3_600_000),
    });
    // 72 events one hour apart: three days, two files per day.
    const rows: SinkRow[] = Array.from({ length: 72 }, (_, i) => ({
      event: gen.next(),
      partition: 0,
      offset: BigInt(i),
      timestamp: now,
    }));
    const byFile = new Map<string, SinkRow[]>();
    for (const r of rows) {
      const iso = new Date(r.event.event_timestamp.ts_ms).toISOString();
      const key = `dt=${iso.slice(0, 10)}/music_events+0+${
        Number(iso.slice(11, 13)) < 12 ? "a" : "b"
      }`;
      byFile.set(key, [...(byFile.get(key) ?? []), r]);
    }
    for (const [key, rs] of byFile) {
      await Deno.mkdir(`${dir}/${key.split("/")[0]}`, { recursive: true });
      await Deno.writeFile(`${dir}/${key}.parquet`, encodeParquet(rs, "snappy"));
    }
    const lake = await Lake.open({ root: dir });
    try {
      const r = await lake.query(
        "SELECT count(*) AS n, max(kafka_offset) AS o, min(event_time) AS t FROM events WHERE event_type_id >= $min",
        { min: 1 },
      );
      assertEquals(r.columns, ["n", "o", "t"]);
      assertEquals(r.rows, [[
        72,
        71,
        new Date(rows[0]!.event.event_timestamp.ts_ms).toISOString().slice(0, 19).replace("T", " "),
      ]]);
      await rejects(
        lake.query("SELECT nope FROM events"),
        (e: Error) => e instanceof UserError && e.message.startsWith("Binder Error"),
      );
    } finally {
      lake.close();
    }
    const day = await Lake.open({ root: dir, from: "2024-01-03", to: "2024-01-03" });
    try {
      const plan = (await day.query("EXPLAIN ANALYZE SELECT count(*) FROM events")).rows.flat()
        .join("\n");
      assertEquals(/Total Files Read:\s*(\d+)/.exec(plan)?.[1], "2", plan);
      assertEquals((await day.query("SELECT DISTINCT dt FROM events")).rows, [["2024-01-03"]]);
    } finally {
      day.close();
    }
    await rejects(Lake.open({ root: `${dir}/missing` }), /No Parquet files under/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
