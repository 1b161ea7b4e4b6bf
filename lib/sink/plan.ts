/**
 * The sink's pure batching rules: where a partition's buffer is cut, the key
 * of each object (`encode.ts` groups a batch by date), and how a planned cut
 * is recorded in the consumer-group commit metadata. No I/O here, so the
 * exactly-once argument can be tested by simulation (`simulation_test.ts`).
 *
 * Keys are `<prefix>/dt=<date>/<topic>+<partition>+<first offset>.parquet`, where
 * the first offset is that of the first record of that date in the batch. The
 * date is the event time in UTC.
 *
 * @module
 */
import { normalizePrefix } from "../lake/keys.ts";

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
 * if (cut.flush) store(buffer.take(cut.count));
 * ```
 */
export function cutPoint(
  buffer: { count: number; offsets: () => ArrayLike<bigint>; bytes: number; startedAt: number },
  limits: FlushLimits,
  now: number,
  plan: PlannedCut | undefined,
): { flush: false } | { flush: true; count: number } {
  const n = buffer.count;
  if (n === 0) return { flush: false };
  if (plan) {
    const offsets = buffer.offsets();
    for (let i = 0; i < n; i++) {
      const o = offsets[i]!;
      // Records past the plan's end wait for the next batch.
      if (o >= plan.end - 1n) return { flush: true, count: o === plan.end - 1n ? i + 1 : i };
    }
    return { flush: false };
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
