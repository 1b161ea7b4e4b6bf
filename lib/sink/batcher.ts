/**
 * Per-partition buffering: consumed records are packed into a few growing
 * arrays (offsets, timestamps, value and key bytes) from the committed offset
 * on — no object per record — and cut into {@link SealedBatch}es, which go to
 * an encoder and then to storage. Where a buffer is cut is decided by
 * {@link cutPoint} in `plan.ts`.
 *
 * @module
 */
import type { PlannedCut } from "./plan.ts";

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

/** Record headers as the dead-letter topic needs them. */
export type RecordHeaders = Record<string, Uint8Array | string | undefined>;

/**
 * The value side of a batch: what the encoder needs (all transferable to a
 * worker). Record `i`'s value is `values[valueEnds[i-1] ?? 0, valueEnds[i])`,
 * or null when `valueNull[i]` is 1.
 */
export interface RawBatch {
  partition: number;
  offsets: BigInt64Array;
  /** Kafka record timestamps, epoch ms. */
  timestamps: Float64Array;
  valueEnds: Uint32Array;
  valueNull: Uint8Array;
  values: Uint8Array;
}

/** A cut batch [first offset, last offset + 1): its values, and keys and headers for dead letters. */
export interface SealedBatch extends RawBatch {
  count: number;
  /** Bytes of keys and values, as counted against the limits. */
  bytes: number;
  keyEnds: Uint32Array;
  keyNull: Uint8Array;
  keys: Uint8Array;
  /** Headers by record index, only for records that have any. */
  headers: Map<number, RecordHeaders>;
}

/** Byte strings (or nulls) back to back: entry `i` is `bytes[ends[i-1] ?? 0, ends[i])`. */
interface ByteColumn {
  bytes: Uint8Array<ArrayBuffer>;
  ends: Uint32Array<ArrayBuffer>;
  nulls: Uint8Array<ArrayBuffer>;
}

/** Packs `values` into one exactly sized column. */
function packColumn(values: readonly (Uint8Array | null)[]): ByteColumn {
  let size = 0;
  for (const v of values) size += v?.byteLength ?? 0;
  const col: ByteColumn = {
    bytes: new Uint8Array(size),
    ends: new Uint32Array(values.length),
    nulls: new Uint8Array(values.length),
  };
  let used = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v == null) col.nulls[i] = 1;
    else {
      col.bytes.set(v, used);
      used += v.byteLength;
    }
    col.ends[i] = used;
  }
  return col;
}

/** Records of one fetched batch, packed; `from` of them were already cut away. */
interface Chunk {
  offsets: BigInt64Array<ArrayBuffer>;
  timestamps: Float64Array<ArrayBuffer>;
  values: ByteColumn;
  keys: ByteColumn;
  headers: Map<number, RecordHeaders>;
  from: number;
}

/**
 * One partition's records not yet cut: each fetched batch packed into a few
 * exactly sized arrays (no object per record, no spare capacity).
 */
export class RecordBuffer {
  /** Records buffered. */
  count = 0;
  /** Bytes of keys and values buffered. */
  bytes = 0;
  #chunks: Chunk[] = [];
  #offsets: BigInt64Array | undefined;

  /** The buffered offsets (a copy, cached until the next change; only a replayed plan needs them). */
  get offsets(): BigInt64Array {
    if (!this.#offsets) {
      const out = new BigInt64Array(this.count);
      let n = 0;
      for (const c of this.#chunks) {
        out.set(c.offsets.subarray(c.from), n);
        n += c.offsets.length - c.from;
      }
      this.#offsets = out;
    }
    return this.#offsets;
  }

  /** Appends fetched records; `offsets[i]` is the offset of `messages[i]`. */
  push(messages: readonly SinkMessage[], offsets: readonly bigint[]): void {
    const n = messages.length;
    if (n === 0) return;
    const headers = new Map<number, RecordHeaders>();
    const timestamps = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const m = messages[i]!;
      timestamps[i] = Number(m.timestamp);
      const h = m.headers && copyHeaders(m.headers);
      if (h) headers.set(i, h);
    }
    const chunk: Chunk = {
      offsets: BigInt64Array.from(offsets),
      timestamps,
      values: packColumn(messages.map((m) => m.value)),
      keys: packColumn(messages.map((m) => m.key)),
      headers,
      from: 0,
    };
    this.#chunks.push(chunk);
    this.count += n;
    this.bytes += chunk.values.bytes.byteLength + chunk.keys.bytes.byteLength;
    this.#offsets = undefined;
  }

  /** Cuts the first `n` records into a batch of their own; the rest stay buffered. */
  take(n: number, partition: number): SealedBatch {
    // Which part of which chunk goes into the batch.
    const parts: { c: Chunk; from: number; to: number }[] = [];
    for (let k = 0, i = 0; k < n; i++) {
      const c = this.#chunks[i]!;
      const to = Math.min(c.offsets.length, c.from + n - k);
      parts.push({ c, from: c.from, to });
      k += to - c.from;
    }
    const offsets = new BigInt64Array(n);
    const timestamps = new Float64Array(n);
    const headers = new Map<number, RecordHeaders>();
    let k = 0;
    for (const { c, from, to } of parts) {
      offsets.set(c.offsets.subarray(from, to), k);
      timestamps.set(c.timestamps.subarray(from, to), k);
      for (const [i, h] of c.headers) if (i >= from && i < to) headers.set(k + i - from, h);
      k += to - from;
    }
    const v = joinColumns(parts.map((p) => ({ col: p.c.values, from: p.from, to: p.to })), n);
    const key = joinColumns(parts.map((p) => ({ col: p.c.keys, from: p.from, to: p.to })), n);
    for (const p of parts) p.c.from = p.to;
    while (this.#chunks[0] && this.#chunks[0].from === this.#chunks[0].offsets.length) {
      this.#chunks.shift();
    }
    const bytes = v.bytes.byteLength + key.bytes.byteLength;
    this.count -= n;
    this.bytes -= bytes;
    this.#offsets = undefined;
    return {
      partition,
      count: n,
      bytes,
      offsets,
      timestamps,
      valueEnds: v.ends,
      valueNull: v.nulls,
      values: v.bytes,
      keyEnds: key.ends,
      keyNull: key.nulls,
      keys: key.bytes,
      headers,
    };
  }
}

/** Entries `[from, to)` of several columns as one column (block copies). */
function joinColumns(parts: { col: ByteColumn; from: number; to: number }[], n: number) {
  let size = 0;
  const start = (c: ByteColumn, i: number) => (i > 0 ? c.ends[i - 1]! : 0);
  for (const { col, from, to } of parts) size += start(col, to) - start(col, from);
  const out: ByteColumn = {
    bytes: new Uint8Array(size),
    ends: new Uint32Array(n),
    nulls: new Uint8Array(n),
  };
  let used = 0;
  let k = 0;
  for (const { col, from, to } of parts) {
    const base = start(col, from);
    out.bytes.set(col.bytes.subarray(base, start(col, to)), used);
    out.nulls.set(col.nulls.subarray(from, to), k);
    for (let i = from; i < to; i++) out.ends[k++] = col.ends[i]! - base + used;
    used += start(col, to) - base;
  }
  return out;
}

/** The non-empty headers of a message, copied off the fetch buffer; undefined when none. */
function copyHeaders(h: NonNullable<SinkMessage["headers"]>): RecordHeaders | undefined {
  let out: RecordHeaders | undefined;
  for (const k in h) {
    const v = h[k];
    if (v === undefined || Array.isArray(v)) continue;
    (out ??= {})[k] = typeof v === "string" ? v : new Uint8Array(v);
  }
  return out;
}

/** Bytes `[ends[i-1], ends[i])` of a byte column, or null. */
export function entryAt(
  bytes: Uint8Array,
  ends: Uint32Array,
  nulls: Uint8Array,
  i: number,
): Uint8Array | null {
  if (nulls[i] === 1) return null;
  return bytes.subarray(i > 0 ? ends[i - 1]! : 0, ends[i]!);
}

/** One partition's buffer within the current group membership. */
export interface PartitionBuffer {
  records: RecordBuffer;
  startedAt: number;
  /** Next offset expected; earlier offsets were already buffered. */
  next: bigint | undefined;
  /** A cut recorded by an earlier owner, to be replayed exactly. */
  plan: PlannedCut | undefined;
  /** The batches being stored, in order; resolves false once one gave up. */
  storing: Promise<boolean>;
  /** The batches cut and not yet stored, oldest first (each resolves when it is done). */
  queue: Promise<boolean>[];
  /** Keeps the group session alive (from the latest fetched batch). */
  heartbeat: (() => Promise<void>) | undefined;
}

/** The buffers of all partitions this sink holds, and a lock per partition. */
export class PartitionBuffers {
  #parts = new Map<number, PartitionBuffer>();
  #locks = new Map<number, Promise<void>>();

  /** The partition's buffer, created empty on first use. */
  get(partition: number): PartitionBuffer {
    let st = this.#parts.get(partition);
    if (!st) {
      st = {
        records: new RecordBuffer(),
        startedAt: Date.now(),
        next: undefined,
        plan: undefined,
        storing: Promise.resolve(true),
        queue: [],
        heartbeat: undefined,
      };
      this.#parts.set(partition, st);
    }
    return st;
  }

  /** The partition's buffer, if it has one. */
  find(partition: number): PartitionBuffer | undefined {
    return this.#parts.get(partition);
  }

  /** Forgets every buffer (the membership changed; records are consumed again). */
  clear(): void {
    this.#parts.clear();
  }

  /** Partitions and their buffers (live view). */
  entries(): IterableIterator<[number, PartitionBuffer]> {
    return this.#parts.entries();
  }

  /** Whether any partition holds records not yet stored (buffered or being stored). */
  hasRecords(): boolean {
    return [...this.#parts.values()].some((s) => s.records.count > 0 || s.queue.length > 0);
  }

  /** Bytes buffered across partitions, not counting batches being stored. */
  bufferedBytes(): number {
    let n = 0;
    for (const s of this.#parts.values()) n += s.records.bytes;
    return n;
  }

  /** Appends a fetched batch, skipping offsets already buffered. */
  append(st: PartitionBuffer, messages: readonly SinkMessage[]): void {
    const fresh: SinkMessage[] = [];
    const offsets: bigint[] = [];
    for (const m of messages) {
      const offset = BigInt(m.offset);
      if (st.next !== undefined && offset < st.next) continue;
      fresh.push(m);
      offsets.push(offset);
      st.next = offset + 1n;
    }
    if (fresh.length > 0 && st.records.count === 0) st.startedAt = Date.now();
    st.records.push(fresh, offsets);
  }

  /** Serialises work on one partition (batches from Kafka and age-triggered cuts). */
  async withLock<T>(partition: number, fn: () => Promise<T> | T): Promise<T> {
    const prev = this.#locks.get(partition) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    this.#locks.set(partition, run.then(() => {}, () => {}));
    return await run;
  }
}
