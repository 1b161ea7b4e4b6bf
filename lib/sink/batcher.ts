/**
 * Per-partition buffering: consumed records are decoded (row or dead letter)
 * and appended to their partition's buffer from the committed offset on; work
 * on one partition is serialised. Where a buffer is cut is decided by
 * {@link cutPoint} in `plan.ts`.
 *
 * @module
 */
import { decodeEvent } from "../events/codec.ts";
import type { BufferedRecord, PlannedCut } from "./plan.ts";

/**
 * A consumed Kafka record as the input hands it over (kafkajs messages fit
 * as they are, without a copy).
 */
export interface SinkMessage {
  offset: string;
  key: Uint8Array | null;
  value: Uint8Array | null;
  timestamp: string;
  headers?: Record<string, Uint8Array | string | (Uint8Array | string)[] | undefined>;
}

/** One partition's buffer within the current group membership. */
export interface PartitionBuffer {
  records: BufferedRecord[];
  bytes: number;
  startedAt: number;
  /** Next offset expected; earlier offsets were already buffered. */
  next: bigint | undefined;
  /** A cut recorded by an earlier owner, to be replayed exactly. */
  plan: PlannedCut | undefined;
}

/** Decodes one record into a row for the lake, or a dead letter with its reason. */
export function decodeRecord(
  partition: number,
  m: SinkMessage,
  offset: bigint,
  maxRecordBytes: number,
): BufferedRecord {
  const value = m.value
    ? new Uint8Array(m.value.buffer, m.value.byteOffset, m.value.byteLength)
    : null;
  const res = decodeEvent(value, maxRecordBytes);
  const bytes = value?.byteLength ?? 0;
  if (res.ok) {
    return {
      kind: "row" as const,
      offset,
      bytes,
      row: { event: res.event, partition, offset, timestamp: Number(m.timestamp) },
    };
  }
  const headers: Record<string, Uint8Array | string | undefined> = {};
  for (const [k, v] of Object.entries(m.headers ?? {})) {
    if (v === undefined || Array.isArray(v)) continue;
    headers[k] = typeof v === "string" ? v : new Uint8Array(v);
  }
  return {
    kind: "dead" as const,
    offset,
    bytes,
    reason: res.reason,
    raw: { key: m.key ? new Uint8Array(m.key) : null, value, headers, timestamp: m.timestamp },
  };
}

/** Removes the first `count` records (just stored) from a buffer; the rest starts a new batch. */
export function dropStored(st: PartitionBuffer, count: number): void {
  st.records = st.records.slice(count);
  st.bytes = st.records.reduce((n, r) => n + r.bytes, 0);
  st.startedAt = Date.now();
  st.plan = undefined;
}

/** The buffers of all partitions this sink holds, and a lock per partition. */
export class PartitionBuffers {
  #parts = new Map<number, PartitionBuffer>();
  #locks = new Map<number, Promise<void>>();
  #maxRecordBytes: number;

  /** `maxRecordBytes`: larger record values become dead letters. */
  constructor(maxRecordBytes: number) {
    this.#maxRecordBytes = maxRecordBytes;
  }

  /** The partition's buffer, created empty on first use. */
  get(partition: number): PartitionBuffer {
    let st = this.#parts.get(partition);
    if (!st) {
      st = { records: [], bytes: 0, startedAt: Date.now(), next: undefined, plan: undefined };
      this.#parts.set(partition, st);
    }
    return st;
  }

  /** Forgets every buffer (the membership changed; records are consumed again). */
  clear(): void {
    this.#parts.clear();
  }

  /** Partitions and their buffers (live view). */
  entries(): IterableIterator<[number, PartitionBuffer]> {
    return this.#parts.entries();
  }

  /** Whether any partition holds records not yet stored. */
  hasRecords(): boolean {
    return [...this.#parts.values()].some((s) => s.records.length > 0);
  }

  /** Appends a fetched batch, skipping offsets already buffered. */
  append(partition: number, st: PartitionBuffer, messages: readonly SinkMessage[]): void {
    for (const m of messages) {
      const offset = BigInt(m.offset);
      if (st.next !== undefined && offset < st.next) continue;
      if (st.records.length === 0) st.startedAt = Date.now();
      st.records.push(decodeRecord(partition, m, offset, this.#maxRecordBytes));
      st.bytes += (m.value?.byteLength ?? 0) + (m.key?.byteLength ?? 0);
      st.next = offset + 1n;
    }
  }

  /** Serialises work on one partition (batches from Kafka and age-triggered flushes). */
  async withLock(partition: number, fn: () => Promise<void>): Promise<void> {
    const prev = this.#locks.get(partition) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => {});
    this.#locks.set(partition, tail);
    await run;
  }
}
