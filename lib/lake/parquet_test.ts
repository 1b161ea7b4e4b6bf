import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { zstdDecompressSync } from "node:zlib";
import { parquetMetadata, parquetReadObjects } from "hyparquet";
import { DuckDBInstance } from "@duckdb/node-api";
import { EventGenerator } from "../events/generator.ts";
import { EVENT_COLUMNS } from "../events/schema.ts";
import {
  ColumnBuilder,
  encodeColumns,
  encodeParquet,
  KAFKA_COLUMNS,
  parquetSchema,
  type SinkRow,
} from "./parquet.ts";

const START = Date.UTC(2024, 4, 31, 23, 59, 58);

function sampleRows(n: number): SinkRow[] {
  let now = START;
  const gen = new EventGenerator({ seed: 7, users: 50, tracks: 200, now: () => (now += 37) });
  return Array.from({ length: n }, (_, i) => ({
    event: gen.next(),
    partition: i % 4,
    // kafkajs hands offsets as strings; both forms must be accepted.
    offset: i % 2 === 0 ? BigInt(1000 + i) : String(1000 + i),
    timestamp: START + 10 * i,
  }));
}

async function readBack(bytes: Uint8Array) {
  return await parquetReadObjects({
    file: bytes.buffer as ArrayBuffer,
    compressors: { ZSTD: (input: Uint8Array) => new Uint8Array(zstdDecompressSync(input)) },
  });
}

async function withDuckDB<T>(
  bytes: Uint8Array,
  f: (sql: (q: string) => Promise<Record<string, unknown>[]>) => Promise<T>,
) {
  const path = await Deno.makeTempFile({ suffix: ".parquet" });
  await Deno.writeFile(path, bytes);
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  try {
    return await f(async (q) =>
      (await conn.runAndReadAll(q.replaceAll("$FILE", `'${path}'`))).getRowObjectsJS()
    );
  } finally {
    conn.closeSync();
    instance.closeSync();
    await Deno.remove(path);
  }
}

Deno.test("parquetSchema: seed's nine columns from EVENT_COLUMNS, then Kafka coordinates", () => {
  const schema = parquetSchema();
  assertEquals(schema[0], { name: "root", num_children: 12 });
  assertEquals(schema.slice(1).map((e) => e.name), [
    ...EVENT_COLUMNS.map((c) => c.name),
    ...KAFKA_COLUMNS,
  ]);
  assertEquals(schema.slice(1).map((e) => e.type), [
    "INT32",
    ...Array(6).fill("BYTE_ARRAY"),
    "INT64",
    "INT64",
    "INT32",
    "INT64",
    "INT64",
  ]);
  const ts = schema.at(-1)!;
  assertEquals(ts.logical_type, { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MILLIS" });
});

Deno.test("encodeParquet: hyparquet reads back every value", async () => {
  const rows = sampleRows(500);
  const objects = await readBack(encodeParquet(rows, "zstd"));
  assertEquals(objects.length, rows.length);
  rows.forEach((r, i) => {
    const o = objects[i]!;
    for (const c of EVENT_COLUMNS) {
      const v = c.get(r.event);
      assertEquals(o[c.name], c.kind === "int64" ? BigInt(v) : v, c.name);
    }
    assertEquals(o.kafka_partition, r.partition);
    assertEquals(o.kafka_offset, BigInt(r.offset));
    assertEquals((o.kafka_timestamp as Date).getTime(), r.timestamp);
  });
});

Deno.test("ColumnBuilder grows past its capacity; 64-bit values (negative too) read back exactly", async () => {
  const rows = sampleRows(300);
  const cols = new ColumnBuilder(2);
  const stamps = [-1, 0, 2 ** 32 - 1, 2 ** 32, 8.64e15, -(2 ** 40) - 3]; // 8.64e15: the last Date
  rows.forEach((r, i) => cols.push(r.event, r.partition, BigInt(r.offset), stamps[i % 6]!));
  const objects = await readBack(encodeColumns(cols.columns(), "zstd"));
  assertEquals(objects.length, rows.length);
  rows.forEach((r, i) => {
    const o = objects[i]!;
    assertEquals(o["event_timestamp.ts_ms"], BigInt(r.event.event_timestamp.ts_ms));
    assertEquals(o["event_param.uuid_track"], r.event.event_param.uuid_track);
    assertEquals(o.kafka_offset, BigInt(r.offset));
    assertEquals((o.kafka_timestamp as Date).getTime(), stamps[i % 6]);
  });
});

Deno.test("encodeParquet: DuckDB reads names, types, values, codec and statistics", async () => {
  const rows = sampleRows(300);
  for (
    const [compression, codec] of [["zstd", "ZSTD"], ["snappy", "SNAPPY"], [
      "none",
      "UNCOMPRESSED",
    ]] as const
  ) {
    await withDuckDB(encodeParquet(rows, compression), async (sql) => {
      const types = await sql("SELECT column_name, column_type FROM (DESCRIBE FROM $FILE)");
      assertEquals(types.map((t) => [t.column_name, t.column_type]), [
        ["event_param.event_type_id", "INTEGER"],
        ["event_param.event_type", "VARCHAR"],
        ["event_param.user_id", "VARCHAR"],
        ["event_param.platform_token", "VARCHAR"],
        ["event_param.ipv4", "VARCHAR"],
        ["event_param.country", "VARCHAR"],
        ["event_param.uuid_track", "VARCHAR"],
        ["event_timestamp.ts", "BIGINT"],
        ["event_timestamp.ts_ms", "BIGINT"],
        ["kafka_partition", "INTEGER"],
        ["kafka_offset", "BIGINT"],
        ["kafka_timestamp", "TIMESTAMP WITH TIME ZONE"],
      ]);
      const meta = await sql(
        "SELECT path_in_schema AS col, compression, stats_min_value AS min, stats_max_value AS max, stats_null_count AS nulls FROM parquet_metadata($FILE)",
      );
      assertEquals(meta.length, 12);
      for (const m of meta) {
        assertEquals(m.compression, codec, String(m.col));
        assertEquals(m.nulls, 0n, `null count of ${m.col}`);
      }
      const byCol = Object.fromEntries(meta.map((m) => [m.col, m]));
      assertEquals(byCol["kafka_offset"]!.min, "1000");
      assertEquals(byCol["kafka_offset"]!.max, String(1000 + rows.length - 1));
      const tsMs = rows.map((r) => r.event.event_timestamp.ts_ms);
      assertEquals(byCol["event_timestamp.ts_ms"]!.min, String(Math.min(...tsMs)));
      assertEquals(byCol["event_timestamp.ts_ms"]!.max, String(Math.max(...tsMs)));
      const users = rows.map((r) => r.event.event_param.user_id).sort();
      assertEquals(byCol["event_param.user_id"]!.min, users[0]);
      assertEquals(byCol["event_param.user_id"]!.max, users.at(-1));

      const agg = await sql(`SELECT count(*) AS n, sum("event_param.event_type_id") AS ids,
        min(kafka_timestamp) AS first, count(DISTINCT "event_param.uuid_track") AS tracks FROM $FILE`);
      assertEquals(agg[0]!.n, BigInt(rows.length));
      assertEquals(
        agg[0]!.ids,
        BigInt(rows.reduce((s, r) => s + r.event.event_param.event_type_id, 0)),
      );
      assertEquals((agg[0]!.first as Date).getTime(), START);
      assertEquals(
        agg[0]!.tracks,
        BigInt(new Set(rows.map((r) => r.event.event_param.uuid_track)).size),
      );
    });
  }
});

Deno.test("encodeParquet: zstd is smaller than uncompressed", () => {
  const rows = sampleRows(5000);
  // Dictionaries and delta-packed integers leave less to compress: 39 KB → 29 KB here.
  ok(encodeParquet(rows, "none").length > encodeParquet(rows, "zstd").length * 1.2);
});

Deno.test("encodeParquet: zero rows give a valid empty file", async () => {
  const bytes = encodeParquet([], "zstd");
  assertEquals(Number(parquetMetadata(bytes.buffer as ArrayBuffer).num_rows), 0);
  await withDuckDB(bytes, async (sql) => {
    assertEquals((await sql("SELECT count(*) AS n FROM $FILE"))[0]!.n, 0n);
  });
});

Deno.test("encodeParquet: unknown compression is a TypeError", () => {
  let err: unknown;
  try {
    encodeParquet([], "lz4" as "zstd");
  } catch (e) {
    err = e;
  }
  assertEquals((err as Error).name, "TypeError");
});
