/**
 * Analytics benchmark: a lake of N events in the sink's layout, stored both on
 * the S3 server and in a local directory (the same Parquet bytes); each report
 * timed over S3 (httpfs) beside the same query over the local files, in the
 * same run. Prints medians and the S3 ÷ local ratio.
 *
 * 10M events by default, as the issue asks (a few minutes on 2 cores, most of
 * it generating and encoding the lake).
 *
 * deno run --env-file=.env -A bench/analyze.ts [--events 10000000] [--file-rows 100000]
 *   [--partitions 3] [--users 10000] [--tracks 100000] [--runs 3] [--keep] [--json FILE]
 */
import { parseCommand } from "../lib/core/cli.ts";
import { loadConfig } from "../lib/core/env.ts";
import { parseCount } from "../lib/core/flags.ts";
import { Lake } from "../lib/lake/duckdb.ts";
import { s3Root } from "../lib/lake/keys.ts";
import { EventGenerator } from "../lib/events/generator.ts";
import { encodeParquet, type SinkRow } from "../lib/lake/parquet.ts";
import { REPORTS, runReport } from "../lib/lake/reports.ts";
import { createS3Client, deletePrefix, ensureBucket, putObject } from "../lib/lake/s3.ts";
import { type BenchResult, fmtInt, median, parseOrExit, writeResult } from "./common.ts";

const spec = {
  name: "bench:analyze",
  summary: "Times each report over a lake on S3 beside the same query over local files.",
  options: {
    events: { type: "string", default: "10000000" },
    "file-rows": { type: "string", default: "100000" },
    partitions: { type: "string", default: "3" },
    runs: { type: "string", default: "3" },
    users: { type: "string", default: "10000" },
    tracks: { type: "string", default: "100000" },
    keep: { type: "boolean", default: false },
    json: { type: "string" },
  },
  help: {
    events: "events in the lake",
    "file-rows": "rows per Parquet file at most",
    partitions: "Kafka partitions the lake pretends to come from",
    runs: "timed runs per report (the median is shown)",
    users: "distinct users in the generated events",
    tracks: "distinct tracks in the generated events",
    keep: "keep the lake (S3 prefix and local directory) afterwards",
    json: "also write the figures as JSON to this file (for bench/run.ts)",
  },
} as const;

const { values, N, FILE_ROWS, PARTITIONS, RUNS } = parseOrExit(() => {
  const { values } = parseCommand(spec, Deno.args);
  return {
    values,
    N: parseCount(values.events, "--events", 1),
    FILE_ROWS: parseCount(values["file-rows"], "--file-rows", 1),
    PARTITIONS: parseCount(values.partitions, "--partitions", 1),
    RUNS: parseCount(values.runs, "--runs", 1),
  };
});

const config = loadConfig();
const top = `bench-analyze-${crypto.randomUUID().slice(0, 8)}`;
const prefix = `${top}/music_events`;
const localRoot = await Deno.makeTempDir({ prefix: "bench-analyze-" });
const client = createS3Client(config.s3, { timeoutMs: 120_000 });
await ensureBucket(client, config.s3.bucket);

// ---------------------------------------------------------------- build the lake

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
// Two UTC days of events whatever N is, as a day of real traffic would give.
const STEP_MS = Math.max(1, Math.floor(36 * 3_600_000 / N));
let now = Date.UTC(2024, 4, 31, 6);
const gen = new EventGenerator({
  seed: 11,
  users: Number(values.users),
  tracks: Number(values.tracks),
  now: () => (now += STEP_MS),
});
const buffers: SinkRow[][] = Array.from({ length: PARTITIONS }, () => []);
const offsets = Array(PARTITIONS).fill(0);
let files = 0;
let bytes = 0;
let encodeMs = 0;
let uploadMs = 0;

async function flush(p: number) {
  const rows = buffers[p]!;
  if (rows.length === 0) return;
  buffers[p] = [];
  const date = day(rows[0]!.event.event_timestamp.ts_ms);
  const rel = `dt=${date}/music_events+${p}+${rows[0]!.offset}.parquet`;
  let t0 = performance.now();
  const body = encodeParquet(rows, "zstd");
  encodeMs += performance.now() - t0;
  t0 = performance.now();
  await putObject(client, config.s3.bucket, `${prefix}/${rel}`, body);
  uploadMs += performance.now() - t0;
  await Deno.mkdir(`${localRoot}/dt=${date}`, { recursive: true });
  await Deno.writeFile(`${localRoot}/${rel}`, body);
  files++;
  bytes += body.length;
}

const tBuild = performance.now();
for (let i = 0; i < N; i++) {
  const event = gen.next();
  const p = i % PARTITIONS;
  const buf = buffers[p]!;
  if (
    buf.length >= FILE_ROWS ||
    (buf.length > 0 &&
      day(event.event_timestamp.ts_ms) !== day(buf[0]!.event.event_timestamp.ts_ms))
  ) await flush(p);
  buffers[p]!.push({
    event,
    partition: p,
    offset: BigInt(offsets[p]++),
    timestamp: event.event_timestamp.ts_ms + 3,
  });
}
for (let p = 0; p < PARTITIONS; p++) await flush(p);
const lakeLine =
  `lake: ${N.toLocaleString("en")} events, ${files} files, ${(bytes / 1e6).toFixed(1)} MB zstd ` +
  `(built in ${((performance.now() - tBuild) / 1000).toFixed(1)} s: encode ${
    (encodeMs / 1000).toFixed(1)
  } s, ` +
  `upload ${(uploadMs / 1000).toFixed(1)} s)`;
console.log(lakeLine);
console.log(`  s3://${config.s3.bucket}/${prefix}  and  ${localRoot}`);

// ---------------------------------------------------------------- time the reports

async function timeReport(lake: Lake, name: string): Promise<number> {
  await runReport(lake, name); // warm-up (and metadata caches, as a second query would have)
  const ts: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await runReport(lake, name);
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

try {
  let t0 = performance.now();
  const s3Lake = await Lake.open({ root: s3Root(config.s3.bucket, prefix), s3: config.s3 });
  const openS3 = performance.now() - t0;
  t0 = performance.now();
  const localLake = await Lake.open({ root: localRoot });
  const openLocal = performance.now() - t0;
  try {
    console.log(
      `\nmedian of ${RUNS} runs after one warm-up; DuckDB ${
        (await localLake.query("SELECT version() AS v, current_setting('threads') AS t")).rows[0]!
          .join(", threads ")
      }`,
    );
    console.log(
      `${"report".padEnd(16)}${"S3 ms".padStart(10)}${"local ms".padStart(10)}${
        "S3 ÷ local".padStart(12)
      }`,
    );
    const rows: string[][] = [];
    const line = (name: string, s3: number, local: number) => {
      rows.push([name, fmtInt(s3), fmtInt(local), `${(s3 / local).toFixed(2)}×`]);
      console.log(
        `${name.padEnd(16)}${s3.toFixed(0).padStart(10)}${local.toFixed(0).padStart(10)}${
          (s3 / local).toFixed(2).padStart(11)
        }×`,
      );
    };
    line("(open + list)", openS3, openLocal);
    let sumS3 = 0;
    let sumLocal = 0;
    for (const r of REPORTS) {
      const s3 = await timeReport(s3Lake, r.name);
      const local = await timeReport(localLake, r.name);
      sumS3 += s3;
      sumLocal += local;
      line(r.name, s3, local);
    }
    line("all reports", sumS3, sumLocal);
    const result: BenchResult = {
      bench: "analyze",
      title: "Analytics: DuckDB reports over the lake on S3",
      sizes: `${N.toLocaleString("en")} events in ${files} Parquet files (${
        (bytes / 1e6).toFixed(1)
      } MB zstd), ${REPORTS.length} reports, median of ${RUNS} runs`,
      ours: {
        label: "all reports over S3 (DuckDB httpfs → versitygw)",
        value: sumS3,
        unit: "ms",
      },
      reference: {
        label: "the same queries over the same files on local disk",
        value: sumLocal,
        unit: "ms",
      },
      ratio: sumLocal / sumS3,
      table: { head: ["report", "S3 ms", "local ms", "S3 ÷ local"], rows },
      notes: [
        `${lakeLine}.`,
        `Each report's median of ${RUNS} runs after one warm-up, on one DuckDB instance per lake.`,
      ],
    };
    await writeResult(values.json, result);
  } finally {
    s3Lake.close();
    localLake.close();
  }
} finally {
  if (!values.keep) {
    await deletePrefix(client, config.s3.bucket, `${top}/`);
    await Deno.remove(localRoot, { recursive: true });
  }
  client.destroy();
}
