/**
 * The sink's wiring: input (a consumer group) → batcher (per-partition
 * buffers, cut rules, plans) → outputs (Parquet objects, dead letters), Kafka
 * → Parquet objects exactly once. It builds nothing itself: the consumer
 * group, object store and dead-letter writer are passed in (`create.ts`
 * builds the kafkajs and S3 ones).
 *
 * Protocol per partition (proved by simulation in `simulation_test.ts`):
 * 1. Records are buffered from the committed offset C; a batch [C, E) is cut by
 *    size, bytes or wall-clock age — or exactly at E when a plan is recorded.
 * 2. Before uploading, the plan "[C, E)" is committed as metadata of the
 *    unchanged offset C. The commit carries the group generation, so only the
 *    partition's current owner can record a plan.
 * 3. Each date group is stored under a key derived from its first offset, then
 *    bad records go to the dead-letter topic, then offset E is committed.
 * 4. Whoever resumes at C (after a crash, restart or rebalance) reads the plan
 *    and cuts exactly at E, rewriting identical objects under identical keys.
 *
 * Consuming and storing overlap: a cut batch is encoded (on a worker thread)
 * and stored in the background while the partition's next batch fills; a
 * partition is paused (the others go on) while it has more than
 * {@link MAX_STORING} batch being stored, or any while all partitions together
 * hold more than {@link MAX_HELD_BYTES}. Batches of one partition are stored in
 * order.
 *
 * Any Kafka failure restarts the consumer from the committed offsets (buffers
 * are dropped); S3 failures are retried with backoff while the partition is
 * held, so memory stays bounded.
 *
 * @module
 */
import { formatCount } from "../core/progress.ts";
import type { ParquetCompression } from "../lake/parquet.ts";
import { cutPoint, decodePlan, encodePlan, type FlushLimits, type PlannedCut } from "./plan.ts";
import { entryAt, type PartitionBuffer, PartitionBuffers, type SealedBatch } from "./batcher.ts";
import type { DeadIndex, EncodedBatch } from "./encode.ts";
import { type BatchEncoder, inlineEncoder } from "./encoders.ts";
import type {
  BatchControl,
  CommittedOffset,
  ConsumerGroup,
  InputBatch,
  InputHandlers,
} from "./input.ts";
import {
  type DeadLetterWriter,
  type DeadRecord,
  type ObjectStore,
  ParquetOutput,
  retry,
  warnEvery,
} from "./outputs.ts";
import { newSinkStats, type SinkStats } from "./metrics.ts";

/** Batches of one partition being stored while its next one fills; one more and it is paused. */
export const MAX_STORING = 1;
/** Record bytes held (buffered and being stored) across partitions above which partitions with a batch being stored are paused. */
export const MAX_HELD_BYTES = 16 * 1024 * 1024;
/** How long an assigned partition that is not held back may deliver nothing while records wait before the consumer is restarted. */
export const STALL_MS = 60_000;

/** Everything the sink needs to know, defaults resolved. */
export interface SinkOptions {
  topic: string;
  group: string;
  bucket: string;
  prefix: string;
  limits: FlushLimits;
  compression: ParquetCompression;
  dlqTopic: string;
  /** Partitions for the source topic when the sink has to create it. */
  partitions: number;
  /** Exit once everything is stored and nothing new arrived for this long. */
  untilIdleMs: number | undefined;
  /** Largest accepted record value; larger ones go to the dead-letter topic. */
  maxRecordBytes: number;
  /** See {@link STALL_MS} [its value]. */
  stallMs?: number;
  /** Progress and warnings. */
  log: (line: string) => void;
  /** One line per stored file. */
  debug: ((line: string) => void) | undefined;
}

/** The collaborators of a {@link SinkCore}. */
export interface SinkParts {
  group: ConsumerGroup;
  store: ObjectStore;
  deadLetters: DeadLetterWriter;
  /** Encodes cut batches [in-thread]. */
  encoder?: BatchEncoder;
}

/**
 * A running sink over injected collaborators; `stop()` flushes, commits and
 * leaves the group.
 *
 * @example
 * ```ts
 * const sink = new SinkCore({ group, store, deadLetters }, options);
 * await sink.start();
 * await sink.done; // after stop() or --until-idle
 * ```
 */
export class SinkCore {
  /** Counters, updated as batches are stored. */
  readonly stats: SinkStats = newSinkStats();
  #opts: SinkOptions;
  #group: ConsumerGroup;
  #store: ObjectStore;
  #dlq: DeadLetterWriter;
  #output: ParquetOutput;
  #encoder: BatchEncoder;
  #buffers = new PartitionBuffers();
  /** Record bytes of the batches being stored. */
  #storingBytes = 0;
  #storingBatches = 0;
  /** Partitions held back until a batch of theirs is stored. */
  #paused = new Set<number>();
  /** Whether the group was asked to run (so it must be paused, flushed and left). */
  #running = false;
  /** Changes whenever the group membership may have changed; flushes of an older epoch give up. */
  #epoch = 0;
  #plans: Promise<Map<number, CommittedOffset>> | undefined;
  #stopping = false;
  #lastMessageAt = Date.now();
  #timer: ReturnType<typeof setInterval> | undefined;
  #done: PromiseWithResolvers<void> = Promise.withResolvers<void>();
  #starting: Promise<void> | undefined;
  /** Partitions with an age-triggered cut queued. */
  #busy = new Set<number>();
  #checkingIdle = false;
  /** The partitions assigned in this membership, and when each last delivered a batch (or was assigned or resumed). */
  #heard = new Map<number, number>();
  #checkingStall = false;

  /** Nothing connects before `start()`. */
  constructor(parts: SinkParts, opts: SinkOptions) {
    this.#opts = opts;
    this.#group = parts.group;
    this.#store = parts.store;
    this.#dlq = parts.deadLetters;
    this.#output = new ParquetOutput(parts.store, opts, this.stats);
    this.#encoder = parts.encoder ?? inlineEncoder(opts);
  }

  /**
   * Prepares the store, topics and dead-letter writer, joins the group and
   * starts consuming. A `stop()` meanwhile ends the start-up early. Call
   * `stop()` after a failed start to close what was opened.
   */
  start(): Promise<void> {
    this.#starting ??= this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    await this.#store.prepare();
    if (this.#stopping) return;
    await this.#group.prepare();
    if (this.#stopping) return;
    await this.#dlq.connect();
    if (this.#stopping) return;
    this.#running = true;
    await this.#group.run(this.#handlers());
    if (!this.#stopping) this.#timer = setInterval(() => this.#tick(), 250);
  }

  #handlers(): InputHandlers {
    const newEpoch = () => {
      this.#epoch++;
      // Buffered records will be fetched again: they are lag until the partition's next batch.
      for (const [p, st] of this.#buffers.entries()) {
        if (st.records.count > 0) {
          this.stats.lag.set(p, (this.stats.lag.get(p) ?? 0) + st.records.count);
        }
      }
      this.#buffers.clear();
      this.#heard.clear();
      this.#plans = undefined;
      // Partitions are fetched again from the committed offsets: none stays held back.
      for (const p of this.#paused) this.#group.resumePartition(p);
      this.#paused.clear();
    };
    return {
      onBatch: (batch, control) => this.#onBatch(batch, control),
      onRevoke: newEpoch,
      onJoin: (partitions) => {
        newEpoch();
        // A partition another member took is no longer ours to report.
        for (const p of this.stats.lag.keys()) {
          if (!partitions.includes(p)) this.stats.lag.delete(p);
        }
        const now = Date.now();
        for (const p of partitions) this.#heard.set(p, now);
        const plans = this.#group.committed();
        // Awaited by the first batch of each partition; a failure surfaces there.
        plans.catch(() => {});
        this.#plans = plans;
      },
      onRestart: (e) => {
        this.stats.restarts++;
        this.#opts.log(`warning: Kafka consumer restarting after: ${e.message}`);
        return !this.#stopping;
      },
    };
  }

  /** Batches cut and not yet stored or given up (of every membership). */
  get storing(): number {
    return this.#storingBatches;
  }

  /** Resolves when the sink has stopped (by `stop()` or `--until-idle`). */
  get done(): Promise<void> {
    return this.#done.promise;
  }

  async #onBatch(batch: InputBatch, { resolveOffset, heartbeat }: BatchControl): Promise<void> {
    const partition = batch.partition;
    this.#heardFrom(partition);
    if (this.#stopping || batch.messages.length === 0) return;
    const epoch = this.#epoch;
    await this.#buffers.withLock(partition, async () => {
      if (epoch !== this.#epoch || this.#stopping) return;
      const st = this.#buffers.get(partition);
      if (st.next === undefined) {
        // First batch of this partition in this membership: replay a recorded plan.
        const plans = await (this.#plans ??= this.#group.committed());
        if (epoch !== this.#epoch) return;
        const committed = plans.get(partition);
        const first = BigInt(batch.firstOffset() ?? batch.messages[0]!.offset);
        if (committed?.offset === first) st.plan = decodePlan(committed.metadata, first);
      }
      st.heartbeat = heartbeat;
      this.#buffers.append(st, batch.messages);
      this.#lastMessageAt = Date.now();
      this.stats.lag.set(partition, Number(BigInt(batch.highWatermark) - st.next!));
      resolveOffset(batch.lastOffset());
      this.#cut(partition, st, epoch, false);
      this.#holdBack(partition, st, epoch);
      await heartbeat();
    });
  }

  /**
   * Bounded memory without stalling the other partitions: a partition that
   * must wait is paused (kafkajs keeps fetching the others and heartbeating)
   * until a batch of its own is stored.
   */
  #holdBack(partition: number, st: PartitionBuffer, epoch: number): void {
    if (this.#paused.has(partition) || !this.#mustWait(st)) return;
    this.#paused.add(partition);
    this.#group.pausePartition(partition);
    const check = () => {
      if (epoch !== this.#epoch || !this.#paused.has(partition)) return; // resumed by newEpoch
      if (this.#mustWait(st) && !this.#stopping) {
        return void (st.queue[0] ?? st.storing).then(check, check);
      }
      this.#paused.delete(partition);
      this.#heardFrom(partition);
      if (!this.#stopping) this.#group.resumePartition(partition);
    };
    (st.queue[0] ?? st.storing).then(check);
  }

  #mustWait(st: PartitionBuffer): boolean {
    if (st.queue.length > MAX_STORING) return true;
    return st.queue.length > 0 &&
      this.#storingBytes + this.#buffers.bufferedBytes() > MAX_HELD_BYTES;
  }

  /** Cuts what the partition's buffer says is due (everything, when `all`) and starts storing it. */
  #cut(partition: number, st: PartitionBuffer, epoch: number, all: boolean): void {
    const limits = all ? { ...this.#opts.limits, maxAgeMs: 0 } : this.#opts.limits;
    while (epoch === this.#epoch) {
      const { records } = st;
      const cut = cutPoint(
        {
          count: records.count,
          offsets: () => records.offsets,
          bytes: records.bytes,
          startedAt: st.startedAt,
        },
        limits,
        Date.now(),
        st.plan,
      );
      if (!cut.flush) return;
      const batch = records.take(cut.count, partition);
      const plan = st.plan;
      st.plan = undefined;
      st.startedAt = Date.now();
      this.#enqueue(st, batch, plan, epoch);
    }
  }

  /** Encodes a cut batch now and stores it after the partition's earlier batches. */
  #enqueue(
    st: PartitionBuffer,
    batch: SealedBatch,
    plan: PlannedCut | undefined,
    epoch: number,
  ): void {
    const encoded = this.#encoder.encode(batch);
    encoded.catch(() => {}); // awaited in turn below
    this.#storingBatches++;
    this.#storingBytes += batch.bytes;
    const stored = st.storing
      .then((ok) => ok && this.#storeBatch(st, batch, encoded, plan, epoch))
      .catch((e: Error) => {
        if (epoch !== this.#epoch) return false;
        if (!(e instanceof LostPartition)) {
          this.#opts.log(
            `warning: storing a batch of partition ${batch.partition} failed (${e.message}); it is not committed and will be replayed`,
          );
        }
        // Start again from the committed offsets (kafkajs has read past this batch).
        if (!this.#stopping) this.#group.rewind(e);
        return false;
      })
      .finally(() => {
        st.queue.shift();
        this.#storingBatches--;
        this.#storingBytes -= batch.bytes;
      });
    st.storing = stored;
    st.queue.push(stored);
  }

  /**
   * Stores one batch: plan, objects, dead letters, commit. Returns false when
   * the membership changed on the way (the new owner replays the plan).
   */
  async #storeBatch(
    st: PartitionBuffer,
    batch: SealedBatch,
    encoded: Promise<EncodedBatch>,
    plan: PlannedCut | undefined,
    epoch: number,
  ): Promise<boolean> {
    const { log } = this.#opts;
    const partition = batch.partition;
    const start = batch.offsets[0]!;
    const end = batch.offsets[batch.count - 1]! + 1n;
    const current = () => epoch === this.#epoch;
    if (!current()) return false;
    // Between attempts: keeps the session alive, and learns when the partition is gone.
    const heartbeat = () =>
      (st.heartbeat?.() ?? Promise.resolve()).catch((e: Error) => {
        throw new LostPartition(e.message);
      });
    const commit = (offset: bigint, metadata: string | null) =>
      retry(() => this.#group.commit(partition, offset, metadata), {
        current,
        heartbeat,
        onFailure: warnEvery("Kafka commit", log),
      });
    if (!plan) {
      await commit(start, encodePlan({ start, end }));
      if (!current()) return false;
    }
    const { objects, dead } = await encoded;
    for (const obj of objects) {
      if (!await this.#output.write(obj, current, heartbeat)) return false;
    }
    if (dead.length > 0) {
      const records = dead.map((d) => deadRecord(batch, d));
      await retry(() => this.#dlq.write(partition, records), {
        current,
        heartbeat,
        onFailure: warnEvery("dead-letter send", log),
      });
      if (!current()) return false;
    }
    await commit(end, null);
    if (!current()) return false;
    this.stats.records += batch.count - dead.length;
    this.stats.deadLetters += dead.length;
    this.stats.flushes++;
    return true;
  }

  /** Age-triggered cuts of quiet partitions, and the `--until-idle` exit. */
  #tick(): void {
    if (this.#stopping) return;
    const idle = this.#opts.untilIdleMs !== undefined &&
      Date.now() - this.#lastMessageAt >= this.#opts.untilIdleMs;
    for (const [partition, st] of this.#buffers.entries()) {
      if (st.records.count === 0) continue;
      const due = idle || Date.now() - st.startedAt >= this.#opts.limits.maxAgeMs;
      if (!due || this.#busy.has(partition)) continue;
      const epoch = this.#epoch;
      this.#busy.add(partition);
      this.#buffers.withLock(partition, () => this.#cut(partition, st, epoch, idle))
        .catch((e: Error) => this.#opts.log(`warning: partition ${partition}: ${e.message}`))
        .finally(() => this.#busy.delete(partition));
    }
    this.#checkStall();
    if (idle && !this.#checkingIdle) {
      this.#checkingIdle = true;
      this.#caughtUp().then((yes) => {
        if (yes) this.stop();
      }).catch(() => {}).finally(() => this.#checkingIdle = false);
    }
  }

  /** Notes that an assigned partition was heard from (a batch, a resume, or a check that found nothing waiting). */
  #heardFrom(partition: number): void {
    if (this.#heard.has(partition)) this.#heard.set(partition, Date.now());
  }

  /**
   * kafkajs can stop fetching a partition without reporting any error
   * (kafkajs#659, #1732): an assigned partition that is not held back and
   * delivered nothing for `stallMs` while records wait restarts the consumer
   * from the committed offsets. Quiet partitions with nothing waiting are
   * checked again after another `stallMs`.
   */
  #checkStall(): void {
    const now = Date.now();
    const stallMs = this.#opts.stallMs ?? STALL_MS;
    const quiet = [...this.#heard]
      .filter(([p, at]) => now - at >= stallMs && !this.#paused.has(p))
      .map(([p]) => p);
    if (quiet.length === 0 || this.#checkingStall) return;
    this.#checkingStall = true;
    const epoch = this.#epoch;
    this.#stalled(quiet, stallMs)
      .catch(() => undefined) // the cluster cannot answer now: asked again after another stallMs
      .then((reason) => {
        if (epoch !== this.#epoch || this.#stopping) return;
        quiet.forEach((p) => this.#heardFrom(p));
        if (reason) this.#group.rewind(new Error(reason));
      })
      .finally(() => this.#checkingStall = false);
  }

  /** Why one of the quiet partitions counts as stalled (records wait beyond what was fetched), if one does. */
  async #stalled(quiet: number[], stallMs: number): Promise<string | undefined> {
    const [ends, committed] = await Promise.all([this.#group.ends(), this.#group.committed()]);
    for (const p of quiet) {
      const end = ends.find((e) => e.partition === p);
      if (!end) continue;
      // Where fetching stands; below `low` (none committed, or deleted by retention) it starts at `low`.
      let fetched = this.#buffers.find(p)?.next ?? committed.get(p)?.offset ?? -1n;
      if (fetched < end.low) fetched = end.low;
      if (end.high > fetched) {
        const [quietFor, waiting] = [stallMs / 1000, formatCount(Number(end.high - fetched))];
        return `partition ${p} delivered nothing for ${quietFor} s while ${waiting} records wait`;
      }
    }
    return undefined;
  }

  /** True when the group's committed offsets equal the topic's end offsets. */
  async #caughtUp(): Promise<boolean> {
    if (this.#buffers.hasRecords()) return false;
    const [ends, committed] = await Promise.all([this.#group.ends(), this.#group.committed()]);
    return ends.every((e) => {
      const c = committed.get(e.partition)?.offset ?? -1n;
      return e.high === e.low || c >= e.high;
    });
  }

  /**
   * Stops consuming, stores and commits what is buffered, leaves the group.
   * Idempotent; never rejects (a batch that cannot be stored is replayed by
   * the next run).
   */
  async stop(): Promise<void> {
    if (this.#stopping) return await this.#done.promise;
    this.#stopping = true;
    try {
      await this.#starting?.catch(() => {});
      clearInterval(this.#timer);
      if (this.#running) await this.#drain();
      await this.#dlq.close().catch(() => {});
      await this.#group.close().catch(() => {});
      this.#encoder.close();
      this.#store.close();
    } finally {
      this.#done.resolve();
    }
  }

  /** Pauses the input, stores what is buffered, leaves the group. */
  async #drain(): Promise<void> {
    this.#group.pause();
    const epoch = this.#epoch;
    const parts = [...this.#buffers.entries()];
    const cut = await Promise.allSettled(
      parts.map(([p, st]) => this.#buffers.withLock(p, () => this.#cut(p, st, epoch, true))),
    );
    // Chains never reject: a batch that fails says so and is replayed by the next run.
    await Promise.all(parts.map(([, st]) => st.storing));
    for (const r of cut) {
      if (r.status === "rejected") {
        this.#opts.log(
          `warning: could not store a buffered batch (${
            (r.reason as Error).message
          }); it is not committed and will be replayed`,
        );
      }
    }
    await this.#group.leave().catch(() => {});
  }
}

/** A heartbeat failed while storing: the group moved on and the partition is no longer ours. */
class LostPartition extends Error {}

/** The dead-letter record of position `d.index` of a batch. */
function deadRecord(b: SealedBatch, d: DeadIndex): DeadRecord {
  const key = entryAt(b.keys, b.keyEnds, b.keyNull, d.index);
  return {
    offset: b.offsets[d.index]!,
    reason: d.reason,
    bytes: d.value?.byteLength ?? 0,
    raw: {
      key,
      value: d.value,
      headers: b.headers.get(d.index) ?? {},
      timestamp: String(b.timestamps[d.index]),
    },
  };
}
