/**
 * Where batches are encoded: in-thread ({@link inlineEncoder}, for tests and
 * `--workers 0`) or on worker threads ({@link WorkerEncoders}), so Parquet
 * encoding runs beside consuming and scales with cores.
 *
 * @module
 */
import type { RawBatch } from "./batcher.ts";
import { encodeBatch, type EncodedBatch, type EncodeSettings } from "./encode.ts";

/** Encodes cut batches; results come back in any order. */
export interface BatchEncoder {
  encode(batch: RawBatch): Promise<EncodedBatch>;
  /** Stops the workers, if any. */
  close(): void;
}

/** A message to an encode worker. */
export interface EncodeJob {
  id: number;
  batch: RawBatch;
  settings: EncodeSettings;
}

/** A worker's answer. */
export type EncodeReply =
  | { id: number; ok: true; result: EncodedBatch }
  | { id: number; ok: false; error: string };

/** Encodes on the calling thread. */
export function inlineEncoder(settings: EncodeSettings): BatchEncoder {
  return {
    encode: (batch) => Promise.resolve().then(() => encodeBatch(batch, settings)),
    close: () => {},
  };
}

interface Job {
  resolve: (r: EncodedBatch) => void;
  reject: (e: Error) => void;
}

/** One worker and the jobs it has been sent. */
interface Slot {
  worker: Worker;
  jobs: Map<number, Job>;
}

/**
 * A pool of encode workers; each batch goes to the worker with the fewest
 * jobs. The batch's value arrays are transferred (the caller must not read
 * them afterwards; dead letters come back with their values).
 *
 * @example
 * ```ts
 * const encoders = new WorkerEncoders(2, settings);
 * const { objects, dead } = await encoders.encode(batch);
 * encoders.close();
 * ```
 */
export class WorkerEncoders implements BatchEncoder {
  #slots: Slot[] = [];
  #settings: EncodeSettings;
  #nextId = 0;

  /** Starts `workers` (≥ 1) workers. */
  constructor(workers: number, settings: EncodeSettings) {
    // Only the settings: `settings` may be a larger object holding functions, which cannot be sent.
    const { prefix, topic, compression, maxRecordBytes } = settings;
    this.#settings = { prefix, topic, compression, maxRecordBytes };
    for (let i = 0; i < workers; i++) this.#slots.push(this.#startWorker());
  }

  /** A new worker; one that fails is replaced (a dead Deno worker never answers again). */
  #startWorker(): Slot {
    const worker = new Worker(new URL("./encode_worker.ts", import.meta.url), { type: "module" });
    const slot: Slot = { worker, jobs: new Map() };
    worker.onmessage = (e: MessageEvent<EncodeReply>) => {
      const r = e.data;
      const job = slot.jobs.get(r.id);
      slot.jobs.delete(r.id);
      if (r.ok) job?.resolve(r.result);
      else job?.reject(new Error(`Parquet encoding failed: ${r.error}`));
    };
    const fail = (message: string) => {
      const err = new Error(`Parquet encoding worker failed: ${message}`);
      for (const job of slot.jobs.values()) job.reject(err);
      slot.jobs.clear();
      worker.terminate();
      const i = this.#slots.indexOf(slot);
      if (i >= 0) this.#slots[i] = this.#startWorker();
    };
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      fail(e.message);
    };
    worker.onmessageerror = () => fail("a message could not be read");
    return slot;
  }

  encode(batch: RawBatch): Promise<EncodedBatch> {
    if (this.#slots.length === 0) return Promise.reject(new Error("the sink stopped"));
    const slot = this.#slots.reduce((a, b) => (b.jobs.size < a.jobs.size ? b : a));
    const id = this.#nextId++;
    const { promise, resolve, reject } = Promise.withResolvers<EncodedBatch>();
    slot.jobs.set(id, { resolve, reject });
    const raw: RawBatch = {
      partition: batch.partition,
      offsets: batch.offsets,
      timestamps: batch.timestamps,
      valueEnds: batch.valueEnds,
      valueNull: batch.valueNull,
      values: batch.values,
    };
    const job: EncodeJob = { id, batch: raw, settings: this.#settings };
    try {
      slot.worker.postMessage(job, {
        // Offsets and timestamps are copied: the caller still needs them.
        transfer: [raw.valueEnds.buffer, raw.valueNull.buffer, raw.values.buffer] as ArrayBuffer[],
      });
    } catch (e) {
      slot.jobs.delete(id);
      reject(e as Error);
    }
    return promise;
  }

  close(): void {
    const err = new Error("the sink stopped");
    for (const s of this.#slots) {
      for (const job of s.jobs.values()) job.reject(err);
      s.worker.terminate();
    }
    this.#slots = [];
  }
}
