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

/**
 * Builds the columns of one Parquet file record by record, so a batch is held
 * as a few arrays instead of one object per event.
 *
 * @example
 * ```ts
 * const cols = new ColumnBuilder();
 * cols.push(event, 0, 42n, Date.now());
 * const bytes = encodeColumns(cols.columns(), "zstd");
 * ```
 */
export class ColumnBuilder {
  /** Rows pushed so far. */
  length = 0;
  #event: (number[] | string[])[] = EVENT_COLUMNS.map(() => []);
  #partition: number[] = [];
  #offset: bigint[] = [];
  #timestamp: number[] = [];

  /** Appends one record. */
  push(event: MusicEvent, partition: number, offset: bigint, timestamp: number): void {
    for (let c = 0; c < EVENT_COLUMNS.length; c++) {
      (this.#event[c] as unknown[]).push(EVENT_COLUMNS[c]!.get(event));
    }
    this.#partition.push(partition);
    this.#offset.push(offset);
    this.#timestamp.push(timestamp);
    this.length++;
  }

  /** The columns in {@link parquetSchema} order. */
  columns(): ColumnSource[] {
    const columns: ColumnSource[] = EVENT_COLUMNS.map((c, i) => {
      const values = this.#event[i]!;
      let data: ColumnSource["data"] = values as string[];
      if (c.kind === "int32") data = Int32Array.from(values as number[]);
      else if (c.kind === "int64") data = BigInt64Array.from(values as number[], BigInt);
      return { name: c.name, data };
    });
    columns.push(
      { name: "kafka_partition", data: Int32Array.from(this.#partition) },
      { name: "kafka_offset", data: BigInt64Array.from(this.#offset) },
      { name: "kafka_timestamp", data: BigInt64Array.from(this.#timestamp, BigInt) },
    );
    return columns;
  }
}

/** Transposes rows into one array per column, in {@link parquetSchema} order. */
export function toColumns(rows: readonly SinkRow[]): ColumnSource[] {
  const b = new ColumnBuilder();
  for (const r of rows) {
    b.push(
      r.event,
      r.partition,
      typeof r.offset === "bigint" ? r.offset : BigInt(r.offset),
      r.timestamp,
    );
  }
  return b.columns();
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
  return encodeColumns(toColumns(rows), compression);
}

/** Encodes columns (from {@link ColumnBuilder} or {@link toColumns}) as one Parquet file. */
export function encodeColumns(
  columnData: ColumnSource[],
  compression: ParquetCompression,
): Uint8Array {
  const codec = CODEC[compression];
  if (codec === undefined) {
    throw new TypeError(`Unknown Parquet compression "${compression}"; use zstd, snappy or none`);
  }
  const writer = new ByteWriter();
  parquetWrite({
    writer,
    columnData,
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
