/**
 * Parquet encoder benchmark: encodeParquet (hyparquet-writer) on N sink rows,
 * beside two references measured in the same run on the same rows:
 * JSON.stringify of the rows (what the seed's producer does per message) and
 * DuckDB's native multi-threaded Parquet writer (COPY … TO, zstd) of the
 * same table. Prints medians and ratios.
 *
 * deno run -A bench/parquet.ts [--rows 100000] [--runs 5] [--json FILE]
 */
import { parseCommand } from "../lib/core/cli.ts";
import { parseCount } from "../lib/core/flags.ts";
import { DuckDBInstance } from "@duckdb/node-api";
import { EventGenerator } from "../lib/events/generator.ts";
import { encodeParquet, type ParquetCompression, type SinkRow } from "../lib/lake/parquet.ts";
import { type BenchResult, fmtInt, median, parseOrExit, writeResult } from "./common.ts";

const spec = {
  name: "bench:parquet",
  summary: "Benchmarks encodeParquet against JSON.stringify and DuckDB's Parquet writer.",
  options: {
    rows: { type: "string", default: "100000" },
    runs: { type: "string", default: "5" },
    json: { type: "string" },
  },
  help: {
    rows: "rows to encode",
    runs: "timed runs per encoder (the median is shown)",
    json: "also write the figures as JSON to this file (for bench/run.ts)",
  },
} as const;

const { values, N, RUNS } = parseOrExit(() => {
  const { values } = parseCommand(spec, Deno.args);
  return {
    values,
    N: parseCount(values.rows, "--rows", 1),
    RUNS: parseCount(values.runs, "--runs", 1),
  };
});

async function time(f: () => unknown | Promise<unknown>): Promise<number> {
  await f(); // warm-up
  const ts: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await f();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

let now = Date.UTC(2024, 4, 31);
const gen = new EventGenerator({ seed: 1, now: () => (now += 20) });
const rows: SinkRow[] = Array.from({ length: N }, (_, i) => ({
  event: gen.next(),
  partition: i % 3,
  offset: String(i),
  timestamp: now,
}));

const results: { name: string; ms: number; bytes?: number }[] = [];
for (const c of ["zstd", "snappy", "none"] as ParquetCompression[]) {
  let bytes = 0;
  const ms = await time(() => (bytes = encodeParquet(rows, c).length));
  results.push({ name: `encodeParquet ${c}`, ms, bytes });
}
let jsonBytes = 0;
results.push({
  name: "JSON.stringify (reference)",
  ms: await time(() => (jsonBytes = JSON.stringify(rows.map((r) => r.event)).length)),
  bytes: jsonBytes,
});

// DuckDB reference: the same rows as a DuckDB table (loaded from our own file), written by COPY.
const dir = await Deno.makeTempDir();
try {
  await Deno.writeFile(`${dir}/in.parquet`, encodeParquet(rows, "none"));
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  await conn.run(`CREATE TABLE t AS SELECT * FROM read_parquet('${dir}/in.parquet')`);
  const ms = await time(() =>
    conn.run(`COPY t TO '${dir}/out.parquet' (FORMAT parquet, COMPRESSION zstd)`)
  );
  const threads =
    (await conn.runAndReadAll("SELECT current_setting('threads')")).getRowsJS()[0]![0];
  results.push({
    name: `DuckDB COPY zstd, ${threads} threads (reference)`,
    ms,
    bytes: (await Deno.stat(`${dir}/out.parquet`)).size,
  });
  conn.closeSync();
  instance.closeSync();
} finally {
  await Deno.remove(dir, { recursive: true });
}

const zstd = results[0]!.ms;
console.log(
  `Parquet encode benchmark: ${N.toLocaleString("en")} rows × 12 columns, median of ${RUNS}`,
);
console.log(
  `${"".padEnd(42)}${"ms".padStart(9)}${"rows/s".padStart(12)}${
    "MB".padStart(8)
  }  zstd time ÷ this time`,
);
for (const r of results) {
  console.log(
    `${r.name.padEnd(42)}${r.ms.toFixed(1).padStart(9)}${
      Math.round(N / (r.ms / 1000)).toLocaleString("en").padStart(12)
    }${r.bytes === undefined ? "".padStart(8) : (r.bytes / 1e6).toFixed(2).padStart(8)}  ${
      (zstd / r.ms).toFixed(2)
    }×`,
  );
}

const duck = results[results.length - 1]!;
const result: BenchResult = {
  bench: "parquet",
  title: "Parquet encoding (in the sink's hot path)",
  sizes: `${N.toLocaleString("en")} rows × 12 columns, median of ${RUNS} runs`,
  ours: {
    label: "encodeParquet zstd (hyparquet-writer, one thread)",
    value: N / (zstd / 1000),
    unit: "rows/s",
  },
  reference: {
    label: duck.name.replace(" (reference)", ""),
    value: N / (duck.ms / 1000),
    unit: "rows/s",
  },
  ratio: duck.ms / zstd,
  table: {
    head: ["encoder", "ms", "rows/s", "MB out"],
    rows: results.map((r) => [
      r.name,
      r.ms.toFixed(1),
      fmtInt(N / (r.ms / 1000)),
      r.bytes === undefined ? "" : (r.bytes / 1e6).toFixed(2),
    ]),
  },
  notes: [
    "Same rows for every encoder. DuckDB's writer is native and multi-threaded; " +
    "JSON.stringify is what a JSON pipeline pays per event instead.",
  ],
};
await writeResult(values.json, result);
