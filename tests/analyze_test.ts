/**
 * Integration tests of `deno task analyze` and lib/lake/ against the real
 * S3 server: a lake in the sink's layout under a unique prefix, built from
 * generated events; every report checked against values computed here in TS
 * from the same events.
 */
import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { DeleteBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { EventGenerator } from "../lib/events/generator.ts";
import { type MusicEvent } from "../lib/events/schema.ts";
import { encodeParquet, type SinkRow } from "../lib/lake/parquet.ts";
import {
  createS3Client,
  deletePrefix,
  ensureBucket,
  listObjects,
  putObject,
} from "../lib/lake/s3.ts";
import { type Cell, Lake } from "../lib/lake/duckdb.ts";
import { s3Root } from "../lib/lake/keys.ts";
import { rowObjects } from "../lib/lake/report_format.ts";
import { REPORTS, runReport } from "../lib/lake/reports.ts";
import { ensureStack, runTask, testConfig, uniqueName } from "./helpers.ts";
import { dropKafkaResources, produceEvents } from "./sink_helpers.ts";

await ensureStack();

const N = 6000;
const PARTITIONS = 3;
const START = Date.UTC(2024, 4, 30, 22, 0, 0); // four UTC days: 05-30 … 06-02
const STEP_MS = 37_000;
const FILE_ROWS = 400;

interface Lakefile {
  key: string;
  date: string;
  rows: SinkRow[];
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Sink-like files: per partition, cut every FILE_ROWS records and at each UTC date change. */
function buildLake(prefix: string): { rows: SinkRow[]; files: Lakefile[] } {
  let now = START;
  const gen = new EventGenerator({
    seed: 42,
    users: 300,
    tracks: 500,
    now: () => (now += STEP_MS),
  });
  const next = Array(PARTITIONS).fill(0);
  const rows: SinkRow[] = [];
  for (let i = 0; i < N; i++) {
    const event = gen.next();
    const partition = i % PARTITIONS;
    rows.push({
      event,
      partition,
      offset: BigInt(next[partition]++),
      timestamp: event.event_timestamp.ts_ms + 5,
    });
  }
  const files: Lakefile[] = [];
  for (let p = 0; p < PARTITIONS; p++) {
    let cur: SinkRow[] = [];
    const flush = () => {
      if (cur.length === 0) return;
      const date = day(cur[0]!.event.event_timestamp.ts_ms);
      files.push({
        key: `${prefix}/dt=${date}/music_events+${p}+${cur[0]!.offset}.parquet`,
        date,
        rows: cur,
      });
      cur = [];
    };
    for (const r of rows.filter((r) => r.partition === p)) {
      if (
        cur.length > 0 &&
        (cur.length >= FILE_ROWS ||
          day(r.event.event_timestamp.ts_ms) !== day(cur[0]!.event.event_timestamp.ts_ms))
      ) flush();
      cur.push(r);
    }
    flush();
  }
  return { rows, files };
}

// ---------------------------------------------------------------- independent answers

function countBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return m;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const ev = (r: SinkRow): MusicEvent["event_param"] => r.event.event_param;
const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

function near(actual: Cell | undefined, expected: number, what: string, tol = 1e-6) {
  ok(
    typeof actual === "number" && Math.abs(actual - expected) <= tol,
    `${what}: ${actual} vs ${expected}`,
  );
}

function expectedHead(rows: readonly SinkRow[], n: number) {
  return [...rows].sort((a, b) =>
    a.event.event_timestamp.ts_ms - b.event.event_timestamp.ts_ms || a.partition - b.partition ||
    Number(BigInt(a.offset) - BigInt(b.offset))
  ).slice(0, n).map((r) => [r.partition, Number(r.offset), ev(r).user_id]);
}

// ---------------------------------------------------------------- fixture

const config = testConfig();
const prefix = uniqueName("analyze-test") + "/music_events";
const root = s3Root(config.s3.bucket, prefix);
const { rows, files } = buildLake(prefix);
let client: S3Client | undefined;
let lake: Lake | undefined;

async function setup(): Promise<Lake> {
  if (lake) return lake;
  client = createS3Client(config.s3);
  await ensureBucket(client, config.s3.bucket);
  for (const f of files) {
    await putObject(client, config.s3.bucket, f.key, encodeParquet(f.rows, "zstd"));
  }
  lake = await Lake.open({ root, s3: config.s3 });
  return lake;
}

async function cleanup() {
  lake?.close();
  if (!client) return;
  await deletePrefix(client, config.s3.bucket, prefix.split("/")[0] + "/");
  client.destroy();
}

const opts = { sanitizeResources: false, sanitizeOps: false };

/** How many Parquet objects DuckDB opens to count the lake's rows (from its query plan). */
async function filesRead(l: Lake): Promise<number> {
  const plan = (await l.query("EXPLAIN ANALYZE SELECT count(*) FROM events")).rows.flat()
    .join("\n");
  const read = /Total Files Read:\s*(\d+)/.exec(plan)?.[1];
  ok(read !== undefined, `no "Total Files Read" in the plan:\n${plan}`);
  return Number(read);
}

Deno.test({
  name: "analyze over S3",
  ...opts,
  async fn(t) {
    try {
      const lake = await setup();
      const run = async (name: string, limit?: number) =>
        rowObjects(await runReport(lake, name, limit));

      await t.step("the lake reads every object: rows per dt= folder and partition", async () => {
        const stored = await listObjects(client!, config.s3.bucket, `${prefix}/`);
        assertEquals(stored.map((o) => o.key).sort(), files.map((f) => f.key).sort());
        const got = await lake.query(
          "SELECT CAST(dt AS VARCHAR), kafka_partition, count(*)::INTEGER FROM events " +
            "GROUP BY ALL ORDER BY ALL",
        );
        const expected = [
          ...countBy(rows, (r) => `${day(r.event.event_timestamp.ts_ms)} ${r.partition}`),
        ]
          .sort((a, b) => cmp(a[0], b[0]))
          .map(([k, n]) => [k.split(" ")[0], Number(k.split(" ")[1]), n]);
        assertEquals(got.rows, expected);
        assertEquals(await filesRead(lake), files.length);
      });

      await t.step("count", async () => {
        assertEquals(await run("count"), [{ events: N }]);
      });

      await t.step("schema: the seed's nine columns, Kafka coordinates, dt", async () => {
        const s = await run("schema");
        assertEquals(s.map((r) => r.column_name), [
          "event_param.event_type_id",
          "event_param.event_type",
          "event_param.user_id",
          "event_param.platform_token",
          "event_param.ipv4",
          "event_param.country",
          "event_param.uuid_track",
          "event_timestamp.ts",
          "event_timestamp.ts_ms",
          "kafka_partition",
          "kafka_offset",
          "kafka_timestamp",
          "dt",
        ]);
        assertEquals(s.find((r) => r.column_name === "kafka_timestamp")!.events_type, "TIMESTAMP");
      });

      await t.step("head and playbacks: earliest rows in event-time order", async () => {
        const head = await run("head");
        assertEquals(
          head.map((r) => [r.kafka_partition, r.kafka_offset, r.user_id]),
          expectedHead(rows, 10),
        );
        const first = [...rows].sort((a, b) =>
          a.event.event_timestamp.ts_ms - b.event.event_timestamp.ts_ms
        )[0]!;
        assertEquals(
          head[0]!.event_time,
          new Date(first.event.event_timestamp.ts_ms).toISOString().slice(0, 19).replace("T", " "),
        );
        const pb = await run("playbacks", 25);
        assertEquals(
          pb.map((r) => [r.kafka_partition, r.kafka_offset, r.user_id]),
          expectedHead(rows.filter((r) => ev(r).event_type_id === 1), 25),
        );
        ok(pb.every((r) => r.event_type_id === 1 && r.event_type === "track_playback"));
      });

      await t.step("by-type", async () => {
        const byType = countBy(rows, (r) => String(ev(r).event_type_id));
        assertEquals(
          await run("by-type"),
          [1, 2, 3].map((id) => ({
            event_type_id: id,
            event_type: ["track_playback", "pause_track", "resume_track"][id - 1]!,
            events: byType.get(String(id)) ?? 0,
            pct: round(100 * (byType.get(String(id)) ?? 0) / N, 2),
          })),
        );
      });

      await t.step("top-tracks", async () => {
        const plays = rows.filter((r) => ev(r).event_type_id === 1);
        const counts = countBy(plays, (r) => ev(r).uuid_track);
        const expected = [...counts].sort((a, b) => b[1] - a[1] || cmp(a[0], b[0])).slice(0, 15)
          .map(([track, n]) => ({
            track_id: track,
            playbacks: n,
            listeners: new Set(
              plays.filter((r) => ev(r).uuid_track === track).map((r) => ev(r).user_id),
            ).size,
          }));
        assertEquals(await run("top-tracks", 15), expected);
      });

      await t.step("top-countries", async () => {
        const counts = countBy(rows, (r) => ev(r).country);
        const expected = [...counts].sort((a, b) => b[1] - a[1] || cmp(a[0], b[0])).slice(0, 10)
          .map(([c, n]) => {
            const of = rows.filter((r) => ev(r).country === c);
            return {
              country: c,
              events: n,
              users: new Set(of.map((r) => ev(r).user_id)).size,
              playbacks: of.filter((r) => ev(r).event_type_id === 1).length,
            };
          });
        assertEquals(await run("top-countries"), expected);
      });

      await t.step("active-users per day", async () => {
        const got = await run("active-users");
        const days = [...new Set(rows.map((r) => day(r.event.event_timestamp.ts_ms)))].sort();
        assertEquals(got.map((r) => r.day), days);
        got.forEach((g, i) => {
          const of = rows.filter((r) => day(r.event.event_timestamp.ts_ms) === days[i]);
          const users = new Set(of.map((r) => ev(r).user_id)).size;
          assertEquals([g.active_users, g.events], [users, of.length]);
          near(g.events_per_user, of.length / users, "events_per_user", 0.0051);
        });
      });

      await t.step("per-minute", async () => {
        const got = await run("per-minute");
        const byMinute = new Map<number, number[]>();
        for (const r of rows) {
          const m = Math.floor(r.event.event_timestamp.ts_ms / 60_000) * 60_000;
          const v = byMinute.get(m) ?? [0, 0, 0];
          v[ev(r).event_type_id - 1]!++;
          byMinute.set(m, v);
        }
        const expected = [...byMinute].sort((a, b) => a[0] - b[0]).map(([m, v]) => ({
          minute: new Date(m).toISOString().slice(0, 19).replace("T", " "),
          track_playback: v[0]!,
          pause_track: v[1]!,
          resume_track: v[2]!,
          total: v[0]! + v[1]! + v[2]!,
        }));
        assertEquals(got, expected);
      });

      await t.step("pause-rate: overall first, then per country", async () => {
        const got = await run("pause-rate", 5);
        const stats = (of: readonly SinkRow[]) => {
          const c = countBy(of, (r) => String(ev(r).event_type_id));
          return [c.get("1") ?? 0, c.get("2") ?? 0, c.get("3") ?? 0] as const;
        };
        const [p, pa, re] = stats(rows);
        assertEquals([got[0]!.country, got[0]!.playbacks, got[0]!.pauses, got[0]!.resumes], [
          "(all)",
          p,
          pa,
          re,
        ]);
        near(got[0]!.pause_rate, round(pa / p, 4), "pause_rate", 1e-4);
        near(got[0]!.resume_rate, round(re / pa, 4), "resume_rate", 1e-4);
        const perCountry = [...new Set(rows.map((r) => ev(r).country))]
          .map((c) => [c, ...stats(rows.filter((r) => ev(r).country === c))] as const)
          .sort((a, b) => b[1] - a[1] || cmp(a[0], b[0])).slice(0, 4);
        assertEquals(
          got.slice(1).map((g) => [g.country, g.playbacks, g.pauses, g.resumes]),
          perCountry,
        );
      });

      await t.step("a date filter reads only that date's objects", async () => {
        const date = "2024-05-31";
        const dayLake = await Lake.open({ root, s3: config.s3, from: date, to: date });
        try {
          const expected = rows.filter((r) => day(r.event.event_timestamp.ts_ms) === date).length;
          assertEquals(rowObjects(await runReport(dayLake, "count")), [{ events: expected }]);
          // The whole lake reads every object (previous step); the filtered one only that date's.
          assertEquals(await filesRead(dayLake), files.filter((f) => f.date === date).length);
        } finally {
          dayLake.close();
        }
      });

      await t.step("CLI: count by-type --format json matches", async () => {
        const r = await runTask("analyze", [
          "count",
          "by-type",
          "--format",
          "json",
          "--prefix",
          prefix,
        ]);
        assertEquals(r.code, 0, r.stderr);
        const j = JSON.parse(r.stdout);
        assertEquals(j.count, [{ events: N }]);
        const byType = countBy(rows, (r) => String(ev(r).event_type_id));
        assertEquals(
          j["by-type"].map((x: { events: number }) => x.events),
          [1, 2, 3].map((i) => byType.get(String(i))),
        );
      });

      await t.step("CLI: --format csv with --from/--to and --limit parses", async () => {
        const r = await runTask("analyze", [
          "top-countries",
          "--format",
          "csv",
          "--prefix",
          prefix,
          "--from",
          "2024-06-01",
          "--to",
          "2024-06-02",
          "--limit",
          "5",
        ]);
        assertEquals(r.code, 0, r.stderr);
        const table = parseCsv(r.stdout);
        assertEquals(table[0], ["country", "events", "users", "playbacks"]);
        const of = rows.filter((x) => day(x.event.event_timestamp.ts_ms) >= "2024-06-01");
        const expected = [...countBy(of, (x) => ev(x).country)].sort((a, b) =>
          b[1] - a[1] || cmp(a[0], b[0])
        ).slice(0, 5);
        assertEquals(table.slice(1).map((row) => [row[0], Number(row[1])]), expected);
      });

      await t.step("CLI: --sql over events, and --out", async () => {
        const out = await Deno.makeTempFile({ suffix: ".json" });
        try {
          const r = await runTask("analyze", [
            "--prefix",
            prefix,
            "--format",
            "json",
            "--out",
            out,
            "--sql",
            "SELECT count(DISTINCT user_id) AS users, max(kafka_offset) AS last FROM events",
          ]);
          assertEquals(r.code, 0, r.stderr);
          const j = JSON.parse(await Deno.readTextFile(out));
          assertEquals(j.sql, [{
            users: new Set(rows.map((x) => ev(x).user_id)).size,
            last: Math.max(...rows.map((x) => Number(x.offset))),
          }]);
        } finally {
          await Deno.remove(out);
        }
      });

      await t.step("CLI: bad --sql is one clean error line", async () => {
        const r = await runTask("analyze", [
          "--prefix",
          prefix,
          "--sql",
          "SELEC nonsense FROM events",
        ]);
        assertEquals(r.code, 1);
        ok(r.stderr.startsWith("error: Parser Error: syntax error"), r.stderr);
        ok(!/\n\s+at /.test(r.stderr), "no stack trace: " + r.stderr);
        const r2 = await runTask("analyze", [
          "--prefix",
          prefix,
          "--sql",
          "SELECT no_such_column FROM events",
        ]);
        assertEquals(r2.code, 1);
        ok(r2.stderr.startsWith("error: Binder Error"), r2.stderr);
      });

      await t.step("CLI: empty lake, missing bucket, unknown report, bad date", async () => {
        const empty = await runTask("analyze", ["count", "--prefix", uniqueName("analyze-empty")]);
        assertEquals(empty.code, 1);
        ok(/^error: No Parquet files under s3:\/\//.test(empty.stderr), empty.stderr);
        const nob = await runTask("analyze", ["count", "--bucket", uniqueName("no-such-bucket")]);
        assertEquals(nob.code, 1);
        ok(
          /^error: S3 bucket "no-such-bucket-[0-9a-f]+" does not exist/.test(nob.stderr),
          nob.stderr,
        );
        const unk = await runTask("analyze", ["nope"]);
        ok(unk.code === 1 && unk.stderr.startsWith('error: Unknown report "nope"'), unk.stderr);
        const bad = await runTask("analyze", ["count", "--from", "2024-02-30"]);
        ok(bad.code === 1 && bad.stderr.startsWith("error: --from"), bad.stderr);
      });

      await t.step("CLI: a bad --out is one clean error line, before any query", async () => {
        const r = await runTask("analyze", [
          "count",
          "--prefix",
          prefix,
          "--out",
          "/nonexistent/dir/x.csv",
        ]);
        assertEquals(r.code, 1);
        assertEquals(
          r.stderr,
          "error: Cannot write /nonexistent/dir/x.csv: directory /nonexistent/dir does not exist\n",
        );
        assertEquals(r.stdout, "");
      });

      await t.step("CLI: a relative --out is from the user's directory (INIT_CWD)", async () => {
        const dir = await Deno.makeTempDir();
        try {
          const r = await runTask("analyze", [
            "count",
            "--format",
            "json",
            "--prefix",
            prefix,
            "--out",
            "c.json",
          ], {
            INIT_CWD: dir,
          });
          assertEquals(r.code, 0, r.stderr);
          assertEquals(JSON.parse(await Deno.readTextFile(`${dir}/c.json`)).count, [{ events: N }]);
        } finally {
          await Deno.remove(dir, { recursive: true });
        }
      });

      await t.step("CLI: --html writes a self-contained page with the charts", async () => {
        const out = await Deno.makeTempFile({ suffix: ".html" });
        try {
          const r = await runTask("analyze", ["--prefix", prefix, "--html", out]);
          assertEquals(r.code, 0, r.stderr);
          const html = await Deno.readTextFile(out);
          for (const id of ["chart-per-minute", "chart-top-countries", "chart-top-tracks"]) {
            ok(
              new RegExp(`<section id="${id}"><h2>[^<]+</h2><svg `).test(html),
              `${id} has an SVG`,
            );
          }
          for (
            const s of [
              "track_playback (1)",
              "pause_track (2)",
              "resume_track (3)",
              "Events per minute",
            ]
          ) {
            ok(html.includes(s), s);
          }
          for (const rep of REPORTS) {
            ok(html.includes(`<section id="${rep.name}">`), `table ${rep.name}`);
          }
          ok(!/\b(src|href)\s*=/i.test(html), "no src/href at all");
          ok(!/https?:\/\//i.test(html), "no http(s) URL");
          ok(!/<script|@import|url\(/i.test(html), "no script or CSS import");
        } finally {
          await Deno.remove(out);
        }
      });
    } finally {
      await cleanup();
    }
  },
});

/** Minimal RFC 4180 parser for the test. */
function parseCsv(text: string): string[][] {
  const out: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n") {
      row.push(field);
      out.push(row);
      row = [];
      field = "";
    } else if (c !== "\r") field += c;
  }
  if (field !== "" || row.length > 0) out.push([...row, field]);
  return out;
}

Deno.test({
  name: "analyze reads what the real sink stored (produce → sink → analyze)",
  ...opts,
  async fn() {
    const topic = uniqueName("analyze-e2e");
    const e2ePrefix = `${topic}/music_events`;
    const count = 3000;
    try {
      await produceEvents(topic, count, { partitions: 2, seed: 5 });
      const sink = await runTask("sink", [
        "--topic",
        topic,
        "--group",
        topic,
        "--prefix",
        e2ePrefix,
        "--max-records",
        "700",
        "--until-idle",
        "3s",
      ]);
      assertEquals(sink.code, 0, sink.stderr);
      const r = await runTask("analyze", [
        "count",
        "by-type",
        "--format",
        "json",
        "--prefix",
        e2ePrefix,
      ]);
      assertEquals(r.code, 0, r.stderr);
      const j = JSON.parse(r.stdout);
      // Independent: the same seeded generator gives the same event types in the same order.
      const gen = new EventGenerator({ seed: 5 });
      const byType = countBy(
        Array.from({ length: count }, () => gen.next()),
        (e) => String(e.event_param.event_type_id),
      );
      assertEquals(j.count, [{ events: count }]);
      assertEquals(
        j["by-type"].map((
          x: { event_type_id: number; events: number },
        ) => [x.event_type_id, x.events]),
        [1, 2, 3].filter((i) => byType.has(String(i))).map((i) => [i, byType.get(String(i))]),
      );
      const dup = await runTask("analyze", [
        "--prefix",
        e2ePrefix,
        "--format",
        "json",
        "--sql",
        "SELECT count(*) AS n, count(DISTINCT (kafka_partition, kafka_offset)) AS distinct_coords FROM events",
      ]);
      assertEquals(dup.code, 0, dup.stderr);
      assertEquals(JSON.parse(dup.stdout).sql, [{ n: count, distinct_coords: count }]);
    } finally {
      await dropKafkaResources({
        topics: [topic, `${topic}.dlq`],
        groups: [topic],
        prefixes: [topic],
      });
    }
  },
});

Deno.test({
  name: "analyze reads a lake written with an empty prefix (dt= at the bucket root)",
  ...opts,
  async fn() {
    // A bucket of its own: dt= folders at the root of the shared bucket would leak into other tests.
    const bucket = uniqueName("analyze-root");
    const s3 = createS3Client(config.s3);
    try {
      await ensureBucket(s3, bucket);
      const part = files.slice(0, 3);
      for (const f of part) {
        const key = f.key.slice(prefix.length + 1);
        await putObject(s3, bucket, key, encodeParquet(f.rows, "zstd"));
      }
      // Outside the layout: must not be read.
      await putObject(
        s3,
        bucket,
        `other/${part[0]!.key.slice(prefix.length + 1)}`,
        encodeParquet(part[0]!.rows, "zstd"),
      );
      const r = await runTask("analyze", [
        "count",
        "--format",
        "json",
        "--bucket",
        bucket,
        "--prefix",
        "",
      ]);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(JSON.parse(r.stdout).count, [{
        events: part.reduce((n, f) => n + f.rows.length, 0),
      }]);
    } finally {
      await deletePrefix(s3, bucket, "");
      await s3.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => {});
      s3.destroy();
    }
  },
});
