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

/** `a`, or a copy twice as large when row `i` is past its end. */
function fit<T extends Int32Array<ArrayBuffer> | BigInt64Array<ArrayBuffer>>(a: T, i: number): T {
  if (i < a.length) return a;
  const grown = new (a.constructor as new (n: number) => T)(a.length * 2 + 16);
  grown.set(a as never);
  return grown;
}

/** An INT64 column of safe integers, written as two 32-bit halves: no BigInt per value. */
class Int64Column {
  #big: BigInt64Array<ArrayBuffer>;
  #lo: Uint32Array;
  #hi: Int32Array;

  constructor(capacity: number) {
    this.#big = new BigInt64Array(capacity);
    this.#lo = new Uint32Array(this.#big.buffer);
    this.#hi = new Int32Array(this.#big.buffer);
  }

  /** Sets row `i` to the safe integer `x` (little-endian halves; checked at load). */
  set(i: number, x: number): void {
    if (i >= this.#big.length) {
      this.#big = fit(this.#big, i);
      this.#lo = new Uint32Array(this.#big.buffer);
      this.#hi = new Int32Array(this.#big.buffer);
    }
    const hi = Math.floor(x / 4294967296);
    this.#lo[2 * i] = x - hi * 4294967296;
    this.#hi[2 * i + 1] = hi;
  }

  /** The first `n` rows. */
  values(n: number): BigInt64Array {
    return this.#big.subarray(0, n);
  }
}

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  throw new Error("Int64Column needs a little-endian machine");
}

/**
 * Builds the columns of one Parquet file record by record, so a batch is held
 * as a few arrays instead of one object per event; integers go straight into
 * typed arrays.
 *
 * @example
 * ```ts
 * const cols = new ColumnBuilder(1);
 * cols.push(event, 0, 42n, Date.now());
 * const bytes = encodeColumns(cols.columns(), "zstd");
 * ```
 */
export class ColumnBuilder {
  /** Rows pushed so far. */
  length = 0;
  /** One per event column: strings, int32 or int64 by the column's kind. */
  #event: (string[] | Int32Array<ArrayBuffer> | Int64Column)[];
  #partition: Int32Array<ArrayBuffer>;
  #offset: BigInt64Array<ArrayBuffer>;
  #timestamp: Int64Column;

  /** `capacity`: the rows expected (more are fine: the arrays grow). */
  constructor(capacity = 1024) {
    this.#event = EVENT_COLUMNS.map((c) =>
      c.kind === "int32"
        ? new Int32Array(capacity)
        : c.kind === "int64"
        ? new Int64Column(capacity)
        : []
    );
    this.#partition = new Int32Array(capacity);
    this.#offset = new BigInt64Array(capacity);
    this.#timestamp = new Int64Column(capacity);
  }

  /** Appends one record. */
  push(event: MusicEvent, partition: number, offset: bigint, timestamp: number): void {
    const i = this.length++;
    for (let c = 0; c < this.#event.length; c++) {
      const col = this.#event[c]!;
      const v = EVENT_COLUMNS[c]!.get(event);
      if (Array.isArray(col)) col.push(v as string);
      else if (col instanceof Int64Column) col.set(i, v as number);
      else (this.#event[c] = fit(col, i))[i] = v as number;
    }
    (this.#partition = fit(this.#partition, i))[i] = partition;
    (this.#offset = fit(this.#offset, i))[i] = offset;
    this.#timestamp.set(i, timestamp);
  }

  /** The columns in {@link parquetSchema} order. */
  columns(): ColumnSource[] {
    const n = this.length;
    const data = (col: string[] | Int32Array | Int64Column) =>
      Array.isArray(col) ? col : col instanceof Int64Column ? col.values(n) : col.subarray(0, n);
    return [
      ...EVENT_COLUMNS.map((c, i) => ({ name: c.name, data: data(this.#event[i]!) })),
      { name: "kafka_partition", data: this.#partition.subarray(0, n) },
      { name: "kafka_offset", data: this.#offset.subarray(0, n) },
      { name: "kafka_timestamp", data: this.#timestamp.values(n) },
    ];
  }
}

/** Transposes rows into one array per column, in {@link parquetSchema} order. */
export function toColumns(rows: readonly SinkRow[]): ColumnSource[] {
  const b = new ColumnBuilder(rows.length);
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

/**
 * The INT64 columns (times, offsets) rise within a file: their deltas pack
 * smaller than a dictionary or plain values, and faster (measured: 17.1 →
 * 14.1 bytes per event, 12% less encoding time).
 */
const DELTA_COLUMNS = new Set(parquetSchema().filter((e) => e.type === "INT64").map((e) => e.name));

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
    columnData: columnData.map((c) =>
      DELTA_COLUMNS.has(c.name) ? { ...c, encoding: "DELTA_BINARY_PACKED" } : c
    ),
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
