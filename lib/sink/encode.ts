/**
 * A cut batch → its Parquet objects and dead letters (pure: no I/O, so it
 * runs in a worker as well as in-thread). Records are decoded and validated
 * one by one straight into the columns of their event date's object; each
 * object is keyed by the offset of its first record (see `plan.ts`), so a
 * replay of the same batch gives byte-identical objects under the same keys.
 *
 * @module
 */
import { decodeEvent } from "../events/codec.ts";
import { ColumnBuilder, encodeColumns, type ParquetCompression } from "../lake/parquet.ts";
import { entryAt, type RawBatch } from "./batcher.ts";
import { objectKey } from "./plan.ts";

/** What every batch of a sink is encoded with. */
export interface EncodeSettings {
  prefix: string;
  topic: string;
  compression: ParquetCompression;
  /** Larger record values become dead letters. */
  maxRecordBytes: number;
}

/** One Parquet object of a batch. */
export interface EncodedObject {
  key: string;
  date: string;
  firstOffset: bigint;
  lastOffset: bigint;
  rows: number;
  body: Uint8Array;
}

/** A record of the batch that is not a valid event. */
export interface DeadIndex {
  /** Position in the batch. */
  index: number;
  reason: string;
  /** A copy of the value (the batch's arrays may have been sent to a worker). */
  value: Uint8Array | null;
}

/** The outcome of {@link encodeBatch}. */
export interface EncodedBatch {
  objects: EncodedObject[];
  dead: DeadIndex[];
}

const DAY_MS = 86_400_000;

/** UTC date `YYYY-MM-DD` of an epoch-ms time, one string per day (events of a batch share a few). */
function dateOf(ms: number, cache: Map<number, string>): string {
  const day = Math.floor(ms / DAY_MS);
  let date = cache.get(day);
  if (date === undefined) {
    date = new Date(day * DAY_MS).toISOString().slice(0, 10);
    cache.set(day, date);
  }
  return date;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The batch's value bytes as one string when they are all ASCII (as JSON
 * events are), so each value is a slice at its byte positions instead of a
 * decode of its own; undefined otherwise.
 */
function asciiText(values: Uint8Array): string | undefined {
  try {
    const text = utf8.decode(values);
    // Any multi-byte character makes the string shorter than its bytes.
    return text.length === values.byteLength ? text : undefined;
  } catch {
    return undefined; // some value is not UTF-8: each is decoded (and judged) on its own
  }
}

/**
 * Encodes one batch: one Parquet object per UTC event date, in order of first
 * appearance, and the positions of the records that go to the dead-letter
 * topic with the reason.
 *
 * @example
 * ```ts
 * const { objects, dead } = encodeBatch(batch, { prefix, topic, compression: "zstd", maxRecordBytes });
 * for (const o of objects) await store.put(o.key, o.body);
 * ```
 */
export function encodeBatch(b: RawBatch, s: EncodeSettings): EncodedBatch {
  const byDate = new Map<string, { first: bigint; last: bigint; cols: ColumnBuilder }>();
  const dead: DeadIndex[] = [];
  const days = new Map<number, string>();
  const text = asciiText(b.values);
  for (let i = 0; i < b.offsets.length; i++) {
    const value = entryAt(b.values, b.valueEnds, b.valueNull, i);
    const res = decodeEvent(
      value,
      s.maxRecordBytes,
      text === undefined ? undefined : text.slice(i > 0 ? b.valueEnds[i - 1] : 0, b.valueEnds[i]),
    );
    if (!res.ok) {
      dead.push({ index: i, reason: res.reason, value: value && value.slice() });
      continue;
    }
    const offset = b.offsets[i]!;
    const date = dateOf(res.event.event_timestamp.ts_ms, days);
    let group = byDate.get(date);
    if (!group) {
      byDate.set(
        date,
        group = { first: offset, last: offset, cols: new ColumnBuilder(b.offsets.length) },
      );
    }
    group.last = offset;
    group.cols.push(res.event, b.partition, offset, b.timestamps[i]!);
  }
  const objects = [...byDate].map(([date, g]) => ({
    key: objectKey(s.prefix, s.topic, b.partition, date, g.first),
    date,
    firstOffset: g.first,
    lastOffset: g.last,
    rows: g.cols.length,
    body: encodeColumns(g.cols.columns(), s.compression),
  }));
  return { objects, dead };
}
