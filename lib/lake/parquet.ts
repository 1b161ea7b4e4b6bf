/**
 * Sink rows → columns → Parquet bytes (pure: no I/O).
 *
 * The file carries the seed's nine columns under their pandas `json_normalize`
 * names (`event_param.event_type_id` … `event_timestamp.ts_ms`), derived from
 * {@link EVENT_COLUMNS}, followed by the Kafka coordinates of each row
 * (`kafka_partition`, `kafka_offset`, `kafka_timestamp`) so any reader can check
 * "each record exactly once" on its own.
 *
 * @module
 */
import { ByteWriter, parquetWrite } from "hyparquet-writer";
import type { ColumnSource, SchemaElement } from "hyparquet-writer";
import { zstdCompressSync } from "node:zlib";
import { type ColumnKind, EVENT_COLUMNS, type MusicEvent } from "../events/schema.ts";

/** One record as the sink stores it: the event and where it came from in Kafka. */
export interface SinkRow {
  event: MusicEvent;
  partition: number;
  /** Kafka offset (kafkajs gives strings). */
  offset: bigint | string;
  /** Kafka record timestamp, epoch milliseconds. */
  timestamp: number;
}

/** Compression codec of the data pages. */
export type ParquetCompression = "zstd" | "snappy" | "none";

/** Names of the columns after the seed's nine. */
export const KAFKA_COLUMNS = ["kafka_partition", "kafka_offset", "kafka_timestamp"] as const;

/** Rows per row group: DuckDB's own default, so scans parallelise by row group. */
export const ROW_GROUP_SIZE = 122_880;

const CODEC = { zstd: "ZSTD", snappy: "SNAPPY", none: "UNCOMPRESSED" } as const;

// Strings are short (UUIDs are 36 bytes); whole min/max keep statistics exact.
const STATS_TRUNCATE_LENGTH = 64;

function elementFor(name: string, kind: ColumnKind): SchemaElement {
  switch (kind) {
    case "int32":
      return { name, type: "INT32", repetition_type: "REQUIRED" };
    case "int64":
      // Plain integers, as the seed (pandas) wrote them; the real timestamp is kafka_timestamp.
      return { name, type: "INT64", repetition_type: "REQUIRED" };
    case "string":
    case "uuid":
    case "ipv4":
      // Text, not FIXED_LEN UUID / binary IP: what the seed and pandas readers expect.
      return {
        name,
        type: "BYTE_ARRAY",
        converted_type: "UTF8",
        logical_type: { type: "STRING" },
        repetition_type: "REQUIRED",
      };
  }
}

/**
 * The Parquet schema (flat, all columns REQUIRED): root, the seed's nine
 * columns in seed order, then the Kafka coordinates.
 */
export function parquetSchema(): SchemaElement[] {
  return [
    { name: "root", num_children: EVENT_COLUMNS.length + KAFKA_COLUMNS.length },
    ...EVENT_COLUMNS.map((c) => elementFor(c.name, c.kind)),
    { name: "kafka_partition", type: "INT32", repetition_type: "REQUIRED" },
    { name: "kafka_offset", type: "INT64", repetition_type: "REQUIRED" },
    {
      name: "kafka_timestamp",
      type: "INT64",
      converted_type: "TIMESTAMP_MILLIS",
      logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MILLIS" },
      repetition_type: "REQUIRED",
    },
  ];
}

/** Transposes rows into one array per column, in {@link parquetSchema} order. */
export function toColumns(rows: readonly SinkRow[]): ColumnSource[] {
  const n = rows.length;
  const columns: ColumnSource[] = EVENT_COLUMNS.map((c) => {
    let data: ColumnSource["data"];
    if (c.kind === "int32") {
      const a = new Int32Array(n);
      for (let i = 0; i < n; i++) a[i] = c.get(rows[i]!.event) as number;
      data = a;
    } else if (c.kind === "int64") {
      const a = new BigInt64Array(n);
      for (let i = 0; i < n; i++) a[i] = BigInt(c.get(rows[i]!.event));
      data = a;
    } else {
      const a = new Array<string>(n);
      for (let i = 0; i < n; i++) a[i] = c.get(rows[i]!.event) as string;
      data = a;
    }
    return { name: c.name, data };
  });
  const partition = new Int32Array(n);
  const offset = new BigInt64Array(n);
  const timestamp = new BigInt64Array(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    partition[i] = r.partition;
    offset[i] = typeof r.offset === "bigint" ? r.offset : BigInt(r.offset);
    timestamp[i] = BigInt(r.timestamp);
  }
  columns.push(
    { name: "kafka_partition", data: partition },
    { name: "kafka_offset", data: offset },
    { name: "kafka_timestamp", data: timestamp },
  );
  return columns;
}

/**
 * Encodes sink rows as one Parquet file: the schema of {@link parquetSchema},
 * column statistics on, row groups of {@link ROW_GROUP_SIZE} rows.
 * Zero rows give a valid empty file.
 *
 * @example
 * ```ts
 * const bytes = encodeParquet([{ event, partition: 0, offset: "42", timestamp: Date.now() }], "zstd");
 * ```
 */
export function encodeParquet(
  rows: readonly SinkRow[],
  compression: ParquetCompression,
): Uint8Array {
  const codec = CODEC[compression];
  if (codec === undefined) {
    throw new TypeError(`Unknown Parquet compression "${compression}"; use zstd, snappy or none`);
  }
  const writer = new ByteWriter();
  parquetWrite({
    writer,
    columnData: toColumns(rows),
    schema: parquetSchema(),
    codec,
    compressors: { ZSTD: (b: Uint8Array) => zstdCompressSync(b) },
    statistics: true,
    statisticsTruncateLength: STATS_TRUNCATE_LENGTH,
    rowGroupSize: ROW_GROUP_SIZE,
    createdBy: "music-pipeline (hyparquet-writer)",
  });
  // A copy of exactly the file: `.buffer` is then the file alone, not the writer's larger buffer.
  return new Uint8Array(writer.getBuffer());
}
