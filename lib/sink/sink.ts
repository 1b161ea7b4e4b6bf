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
 * Any Kafka failure restarts the consumer from the committed offsets (buffers
 * are dropped); S3 failures are retried with backoff while the partition is
 * held, so memory stays bounded.
 *
 * @module
 */
import type { ParquetCompression } from "../lake/parquet.ts";
import { cutPoint, decodePlan, encodePlan, type FlushLimits, planObjects } from "./plan.ts";
import type { BufferedRecord, PlannedCut } from "./plan.ts";
import { dropStored, type PartitionBuffer, PartitionBuffers } from "./batcher.ts";
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
}

type Heartbeat = (() => Promise<void>) | undefined;

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
  #buffers: PartitionBuffers;
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
  /** Partitions with an age-triggered flush queued or running. */
  #busy = new Set<number>();
  #checkingIdle = false;

  /** Nothing connects before `start()`. */
  constructor(parts: SinkParts, opts: SinkOptions) {
    this.#opts = opts;
    this.#group = parts.group;
    this.#store = parts.store;
    this.#dlq = parts.deadLetters;
    this.#output = new ParquetOutput(parts.store, opts, this.stats);
    this.#buffers = new PartitionBuffers(opts.maxRecordBytes);
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
      this.#buffers.clear();
      this.#plans = undefined;
    };
    return {
      onBatch: (batch, control) => this.#onBatch(batch, control),
      onRevoke: newEpoch,
      onJoin: () => {
        newEpoch();
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

  /** Resolves when the sink has stopped (by `stop()` or `--until-idle`). */
  get done(): Promise<void> {
    return this.#done.promise;
  }

  async #onBatch(batch: InputBatch, { resolveOffset, heartbeat }: BatchControl): Promise<void> {
    if (this.#stopping || batch.messages.length === 0) return;
    const partition = batch.partition;
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
      this.#buffers.append(partition, st, batch.messages);
      this.#lastMessageAt = Date.now();
      this.stats.lag.set(partition, Number(BigInt(batch.highWatermark) - st.next!));
      resolveOffset(batch.lastOffset());
      await this.#flushReady(partition, st, epoch, heartbeat, false);
      await heartbeat();
    });
  }

  /** Flushes while the partition's buffer says so (or everything, when `all`). */
  async #flushReady(
    partition: number,
    st: PartitionBuffer,
    epoch: number,
    heartbeat: Heartbeat,
    all: boolean,
  ): Promise<void> {
    const limits = all ? { ...this.#opts.limits, maxAgeMs: 0 } : this.#opts.limits;
    while (epoch === this.#epoch) {
      const cut = cutPoint(st, limits, Date.now(), st.plan);
      if (!cut.flush) return;
      const records = st.records.slice(0, cut.count);
      const ok = await this.#flush(partition, records, st.plan, epoch, heartbeat);
      if (!ok) return;
      dropStored(st, cut.count);
    }
  }

  /**
   * Stores one batch: plan, objects, dead letters, commit. Returns false when
   * the membership changed on the way (the new owner replays the plan).
   */
  async #flush(
    partition: number,
    records: BufferedRecord[],
    plan: PlannedCut | undefined,
    epoch: number,
    heartbeat: Heartbeat,
  ): Promise<boolean> {
    const { topic, prefix, log } = this.#opts;
    const start = records[0]!.offset;
    const end = records[records.length - 1]!.offset + 1n;
    const current = () => epoch === this.#epoch;
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
    for (const obj of planObjects(prefix, topic, partition, records)) {
      if (!await this.#output.write(obj, current, heartbeat)) return false;
    }
    const dead = records.filter((r): r is DeadRecord => r.kind === "dead");
    if (dead.length > 0) {
      await retry(() => this.#dlq.write(partition, dead), {
        current,
        heartbeat,
        onFailure: warnEvery("dead-letter send", log),
      });
      if (!current()) return false;
    }
    await commit(end, null);
    if (!current()) return false;
    this.stats.records += records.length - dead.length;
    this.stats.deadLetters += dead.length;
    this.stats.flushes++;
    return true;
  }

  /** Age-triggered flushes of quiet partitions, and the `--until-idle` exit. */
  #tick(): void {
    if (this.#stopping) return;
    const idle = this.#opts.untilIdleMs !== undefined &&
      Date.now() - this.#lastMessageAt >= this.#opts.untilIdleMs;
    for (const [partition, st] of this.#buffers.entries()) {
      if (st.records.length === 0) continue;
      const due = idle || Date.now() - st.startedAt >= this.#opts.limits.maxAgeMs;
      if (!due || this.#busy.has(partition)) continue;
      const epoch = this.#epoch;
      this.#busy.add(partition);
      this.#buffers.withLock(
        partition,
        () => this.#flushReady(partition, st, epoch, undefined, idle),
      )
        .catch((e) =>
          this.#opts.log(`warning: flush of partition ${partition} failed: ${(e as Error).message}`)
        )
        .finally(() => this.#busy.delete(partition));
    }
    if (idle && !this.#checkingIdle) {
      this.#checkingIdle = true;
      this.#caughtUp().then((yes) => {
        if (yes) this.stop();
      }).catch(() => {}).finally(() => this.#checkingIdle = false);
    }
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
      this.#store.close();
    } finally {
      this.#done.resolve();
    }
  }

  /** Pauses the input, stores what is buffered, leaves the group. */
  async #drain(): Promise<void> {
    this.#group.pause();
    const epoch = this.#epoch;
    const flushed = await Promise.allSettled(
      [...this.#buffers.entries()].map(([partition, st]) =>
        this.#buffers.withLock(
          partition,
          () => this.#flushReady(partition, st, epoch, undefined, true),
        )
      ),
    );
    for (const r of flushed) {
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
