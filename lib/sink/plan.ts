/**
 * The sink's pure batching rules: which records of a partition go into which
 * object, under which key, and how a planned cut is recorded in the
 * consumer-group commit metadata. No I/O here, so the exactly-once argument can
 * be tested by simulation (`simulation_test.ts`).
 *
 * Keys are `<prefix>/dt=<date>/<topic>+<partition>+<first offset>.parquet`, where
 * the first offset is that of the first record of that date in the batch. The
 * date is the event time in UTC.
 *
 * @module
 */
import type { MusicEvent } from "../events/schema.ts";
import type { SinkRow } from "../lake/parquet.ts";
import { normalizePrefix } from "../lake/keys.ts";

/** One consumed record after decoding: a row for the lake or a dead letter. */
export type BufferedRecord =
  | { kind: "row"; offset: bigint; row: SinkRow; bytes: number }
  | { kind: "dead"; offset: bigint; reason: string; bytes: number; raw: RawRecord };

/** What the dead-letter topic needs of the original record. */
export interface RawRecord {
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: Record<string, Uint8Array | string | undefined>;
  timestamp: string;
}

/** One object to store: its key and the rows in it (offset order). */
export interface PlannedObject {
  key: string;
  date: string;
  firstOffset: bigint;
  rows: SinkRow[];
}

/** UTC calendar date `YYYY-MM-DD` of an event. */
export function eventDate(e: MusicEvent): string {
  return new Date(e.event_timestamp.ts_ms).toISOString().slice(0, 10);
}

/** Offsets are zero-padded so keys sort in offset order, as Kafka Connect does. */
const OFFSET_DIGITS = 10;

/** The deterministic object key of a date group. */
export function objectKey(
  prefix: string,
  topic: string,
  partition: number,
  date: string,
  firstOffset: bigint,
): string {
  const p = normalizePrefix(prefix);
  const name = `${topic}+${partition}+${firstOffset.toString().padStart(OFFSET_DIGITS, "0")}`;
  return `${p ? `${p}/` : ""}dt=${date}/${name}.parquet`;
}

/**
 * Splits one partition's batch into objects, one per event date, each keyed by
 * the offset of its first record. Dead letters produce no object.
 *
 * @example
 * ```ts
 * for (const obj of planObjects("music_events", "music_events", 0, records)) {
 *   await store.put(obj.key, encodeParquet(obj.rows, "zstd"));
 * }
 * ```
 */
export function planObjects(
  prefix: string,
  topic: string,
  partition: number,
  records: readonly BufferedRecord[],
): PlannedObject[] {
  const byDate = new Map<string, PlannedObject>();
  for (const r of records) {
    if (r.kind !== "row") continue;
    const date = eventDate(r.row.event);
    let obj = byDate.get(date);
    if (!obj) {
      obj = {
        key: objectKey(prefix, topic, partition, date, r.offset),
        date,
        firstOffset: r.offset,
        rows: [],
      };
      byDate.set(date, obj);
    }
    obj.rows.push(r.row);
  }
  return [...byDate.values()];
}

/** A cut recorded before upload: the batch is exactly [start, end). */
export interface PlannedCut {
  start: bigint;
  end: bigint;
}

const PLAN_TAG = "music-sink-cut:v1";

/** Commit metadata that records a planned cut. */
export function encodePlan(cut: PlannedCut): string {
  return JSON.stringify({ plan: PLAN_TAG, start: cut.start.toString(), end: cut.end.toString() });
}

/**
 * Reads a planned cut back from commit metadata; only valid when the committed
 * offset still equals the plan's start (otherwise the plan was completed).
 */
export function decodePlan(
  metadata: string | null | undefined,
  committed: bigint,
): PlannedCut | undefined {
  if (!metadata) return undefined;
  try {
    const m = JSON.parse(metadata) as { plan?: string; start?: string; end?: string };
    if (m.plan !== PLAN_TAG || m.start === undefined || m.end === undefined) return undefined;
    const cut = { start: BigInt(m.start), end: BigInt(m.end) };
    return cut.start === committed && cut.end > cut.start ? cut : undefined;
  } catch {
    return undefined;
  }
}

/** When a partition's buffer must be cut. */
export interface FlushLimits {
  maxRecords: number;
  maxBytes: number;
  maxAgeMs: number;
}

/**
 * Whether a buffer should be flushed now, and where it must end. A recorded
 * plan overrides the limits: the batch ends exactly at the plan's end, so a
 * replay after a crash rewrites byte-identical objects under the same keys.
 *
 * @example
 * ```ts
 * const cut = cutPoint(buffer, limits, Date.now(), decodePlan(metadata, committed));
 * if (cut.flush) await store(buffer.records.slice(0, cut.count));
 * ```
 */
export function cutPoint(
  buffer: { records: readonly BufferedRecord[]; bytes: number; startedAt: number },
  limits: FlushLimits,
  now: number,
  plan: PlannedCut | undefined,
): { flush: false } | { flush: true; count: number } {
  const n = buffer.records.length;
  if (n === 0) return { flush: false };
  if (plan) {
    const idx = buffer.records.findIndex((r) => r.offset >= plan.end - 1n);
    // Records past the plan's end wait for the next batch.
    if (idx === -1) return { flush: false };
    const last = buffer.records[idx]!;
    return { flush: true, count: last.offset === plan.end - 1n ? idx + 1 : idx };
  }
  if (n >= limits.maxRecords) return { flush: true, count: limits.maxRecords };
  if (buffer.bytes >= limits.maxBytes) return { flush: true, count: n };
  if (now - buffer.startedAt >= limits.maxAgeMs) return { flush: true, count: n };
  return { flush: false };
}

/**
 * Splits `items` into consecutive chunks whose `size` adds up to at most
 * `limit`; an item larger than `limit` forms a chunk of its own.
 */
export function chunksByBytes<T>(
  items: readonly T[],
  size: (t: T) => number,
  limit: number,
): T[][] {
  const chunks: T[][] = [];
  let cur: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const n = size(item);
    if (cur.length > 0 && bytes + n > limit) {
      chunks.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(item);
    bytes += n;
  }
  if (cur.length > 0) chunks.push(cur);
  return chunks;
}
