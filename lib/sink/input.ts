/**
 * The sink's input: membership of a Kafka consumer group and the records it
 * fetches. The sink sees only the {@link ConsumerGroup} interface — start
 * delivering batches, commit an offset with metadata, read the committed
 * offsets and metadata, pause, leave — so tests can pass an in-memory group.
 * {@link KafkaInput} is the kafkajs one: connect, subscribe, batches with
 * heartbeats, restarts after errors, revocation on rebalance.
 *
 * @module
 */
import type { Admin, Consumer, Kafka } from "kafkajs";
import { ensureTopic } from "../kafka/admin.ts";
import { withKafkaErrors } from "../kafka/client.ts";
import type { SinkMessage } from "./batcher.ts";

/** One fetched batch of one partition (a kafkajs `Batch` fits as it is). */
export interface InputBatch {
  partition: number;
  highWatermark: string;
  messages: SinkMessage[];
  firstOffset(): string | null;
  lastOffset(): string;
}

/** What the sink may do while it handles a batch. */
export interface BatchControl {
  /** Marks the batch as fetched up to `offset` (not committed): the next fetch starts after it. */
  resolveOffset(offset: string): void;
  /** Keeps the group session alive; rejects when the partition was revoked. */
  heartbeat(): Promise<void>;
}

/** The sink's side of the input. */
export interface InputHandlers {
  /** Handles one batch; the next batch of the partition waits for it. */
  onBatch(batch: InputBatch, control: BatchControl): Promise<void>;
  /** Partitions may be revoked (rebalance or crash): work in progress must give up. */
  onRevoke(): void;
  /** The group was (re)joined with these partitions of the topic: committed plans must be read again. */
  onJoin(partitions: number[]): void;
  /** The consumer failed; returns whether to restart it from the committed offsets. */
  onRestart(e: Error): boolean;
}

/** A committed offset and its metadata. */
export interface CommittedOffset {
  offset: bigint;
  metadata: string | null;
}

/** The offsets a partition holds: `low` is the first retained, `high` the next to be written. */
export interface PartitionEnds {
  partition: number;
  low: bigint;
  high: bigint;
}

/** The consumer-group side of the sink, for one topic. */
export interface ConsumerGroup {
  /** Connects the admin side and creates missing topics. */
  prepare(): Promise<void>;
  /** Joins the group and delivers batches to `handlers` until `leave()`. */
  run(handlers: InputHandlers): Promise<void>;
  /** Commits `offset` with `metadata`; only the partition's current owner succeeds. */
  commit(partition: number, offset: bigint, metadata: string | null): Promise<void>;
  /** The group's committed offsets and metadata, by partition (offset -1: none). */
  committed(): Promise<Map<number, CommittedOffset>>;
  /** The topic's partition ends. */
  ends(): Promise<PartitionEnds[]>;
  /** Stops fetching (batches in progress finish). */
  pause(): void;
  /**
   * Drops what was fetched and starts again from the committed offsets, as
   * after a consumer failure: `onRevoke`, then `onRestart(reason)` decides.
   */
  rewind(reason: Error): void;
  /** Stops fetching one partition (the group session stays alive); the others go on. */
  pausePartition(partition: number): void;
  /** Fetches a paused partition again, from after the last record handed over. */
  resumePartition(partition: number): void;
  /** Leaves the group. */
  leave(): Promise<void>;
  /** Releases the admin side. */
  close(): Promise<void>;
}

/** Settings of {@link KafkaInput}. */
export interface KafkaInputOptions {
  brokers: string[];
  topic: string;
  group: string;
  /** Topics to create when missing, in order (the source and the dead-letter topic). */
  topics: { topic: string; partitions: number }[];
}

/** A {@link ConsumerGroup} on kafkajs; the admin and consumer are created when first needed. */
export class KafkaInput implements ConsumerGroup {
  #kafka: Kafka;
  #opts: KafkaInputOptions;
  #admin: Admin | undefined;
  #consumer: Consumer | undefined;
  /** The last error kafkajs asked `restartOnFailure` about. */
  #asked: Error | undefined;
  /** Crashes since the group was last joined (the restart pause grows with them). */
  #crashes = 0;
  /** A restart of the consumer after a crash kafkajs does not restart from. */
  #restart: ReturnType<typeof setTimeout> | undefined;
  /** `leave()` was called: no more restarts. */
  #left = false;
  #handlers: InputHandlers | undefined;
  #rewinding = false;
  /** Commits kafkajs confirmed (COMMIT_OFFSETS), by "partition:offset". */
  #confirmed = new Map<string, number>();

  /** Nothing connects before `prepare()`. */
  constructor(kafka: Kafka, opts: KafkaInputOptions) {
    this.#kafka = kafka;
    this.#opts = opts;
  }

  /** Connects the admin and creates the missing topics. */
  async prepare(): Promise<void> {
    const admin = this.#kafka.admin();
    this.#admin = admin;
    await withKafkaErrors(this.#opts.brokers, async () => {
      await admin.connect();
      for (const t of this.#opts.topics) await ensureTopic(admin, t.topic, t.partitions);
    });
  }

  /**
   * Joins the group from the committed offsets (the beginning when none), no auto-commit.
   * Rejects only when connecting or subscribing fails; later failures restart the
   * consumer (see {@link KafkaInput.#onCrash}) until `leave()`.
   */
  async run(h: InputHandlers): Promise<void> {
    const { topic, group, brokers } = this.#opts;
    const consumer = this.#kafka.consumer({
      groupId: group,
      sessionTimeout: 15_000,
      heartbeatInterval: 3_000,
      // Small fetches: kafkajs turns each into one object per record (~10× the compressed bytes).
      maxBytesPerPartition: 512 * 1024,
      maxBytes: 1536 * 1024,
      // kafkajs sleeps this long whenever every partition is paused (see SinkCore's
      // hold-back), so a resumed partition waited up to it: 500 ms cost 20% throughput.
      maxWaitTimeInMs: 100,
      // One attempt per request: a failure restarts the consumer from the
      // committed offsets instead of a retry landing in a newer generation.
      retry: {
        retries: 0,
        initialRetryTime: 1000,
        restartOnFailure: (e) => {
          this.#asked = e;
          return Promise.resolve(h.onRestart(e));
        },
      },
    });
    this.#consumer = consumer;
    this.#handlers = h;
    consumer.on(consumer.events.COMMIT_OFFSETS, (e) => {
      for (const t of e.payload.topics) {
        for (const p of t.partitions) {
          const key = `${p.partition}:${p.offset}`;
          this.#confirmed.set(key, (this.#confirmed.get(key) ?? 0) + 1);
        }
      }
    });
    consumer.on(consumer.events.REBALANCING, () => h.onRevoke());
    consumer.on(consumer.events.CRASH, (e) => {
      h.onRevoke();
      this.#onCrash(h, e.payload.error, e.payload.restart);
    });
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.#crashes = 0;
      h.onJoin(e.payload.memberAssignment[topic] ?? []);
    });
    // kafkajs installs a new generation after a JoinGroup answer and announces it with
    // GROUP_JOIN only after SyncGroup, and some rejoins (an expired member) emit no
    // REBALANCING. This event comes before kafkajs reads the answer, so work of the old
    // membership stops before any of its commits could carry the new generation.
    consumer.on(consumer.events.REQUEST, (e) => {
      if (e.payload.apiName === "JoinGroup") h.onRevoke();
    });
    await withKafkaErrors(brokers, async () => {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await this.#consume(h);
    });
  }

  /** Starts (or restarts) the consumer's fetch loop; kafkajs reports later failures as CRASH. */
  #consume(h: InputHandlers): Promise<void> {
    return this.#consumer!.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 8,
      eachBatch: ({ batch, resolveOffset, heartbeat }) =>
        h.onBatch(batch, { resolveOffset, heartbeat }),
    });
  }

  /**
   * kafkajs restarts a crashed consumer only after an error it deems retriable
   * (asking `restartOnFailure`); after any other it stays stopped, out of the
   * group, for good, while the process lives on. Some such errors come from
   * brief cluster states: with `retries: 0`, one FindCoordinator failure per
   * broker (COORDINATOR_NOT_AVAILABLE while a dead broker's `__consumer_offsets`
   * partitions move, a timeout) ends in KafkaJSGroupCoordinatorNotFound, which is
   * non-retriable — whether it comes from JoinGroup or from the admin's
   * fetchOffsets in a batch. So the consumer is restarted here too, after a
   * growing pause (1 s doubling to 10 s, reset by a join), unless the sink is
   * stopping. kafkajs has disconnected it before emitting CRASH.
   */
  #onCrash(h: InputHandlers, e: Error, restarting: boolean): void {
    const asked = this.#asked === e;
    this.#asked = undefined;
    if (restarting || asked || this.#left) return; // kafkajs restarts it, or we stop
    if (!h.onRestart(e)) return;
    const wait = Math.min(10_000, 1000 * 2 ** this.#crashes++);
    clearTimeout(this.#restart);
    this.#restart = setTimeout(() => {
      this.#restart = undefined;
      if (this.#left) return;
      this.#consume(h).catch((err: Error) => this.#onCrash(h, err, false));
    }, wait);
  }

  /**
   * Commits with the group generation, so a former owner's commit is refused.
   * kafkajs resolves a commit without sending it once its consumer is stopping
   * (before it reports the crash); only a confirmed commit counts here.
   */
  async commit(partition: number, offset: bigint, metadata: string | null): Promise<void> {
    const key = `${partition}:${offset}`;
    const before = this.#confirmed.get(key) ?? 0;
    await this.#consumer!.commitOffsets([{
      topic: this.#opts.topic,
      partition,
      offset: offset.toString(),
      metadata,
    }]);
    const after = this.#confirmed.get(key) ?? 0;
    if (after === before) {
      throw new Error("the Kafka consumer is stopping; the commit was not sent");
    }
    if (after === 1) this.#confirmed.delete(key);
    else this.#confirmed.set(key, after - 1);
  }

  /** Stops the consumer (kafkajs leaves the group) and runs it again from the committed offsets. */
  rewind(reason: Error): void {
    const h = this.#handlers;
    if (!h || this.#rewinding || this.#left) return;
    h.onRevoke();
    if (!h.onRestart(reason)) return;
    this.#rewinding = true;
    this.#consumer!.stop()
      .then(() => this.#left ? undefined : this.#consume(h))
      .catch((err: Error) => this.#onCrash(h, err, false))
      .finally(() => this.#rewinding = false);
  }

  /** Reads the group's committed offsets through the admin. */
  async committed(): Promise<Map<number, CommittedOffset>> {
    const out = new Map<number, CommittedOffset>();
    const res = await this.#admin!.fetchOffsets({
      groupId: this.#opts.group,
      topics: [this.#opts.topic],
    });
    for (const t of res) {
      for (const p of t.partitions) {
        out.set(p.partition, { offset: BigInt(p.offset), metadata: p.metadata ?? null });
      }
    }
    return out;
  }

  /** Reads the topic's partition ends through the admin. */
  async ends(): Promise<PartitionEnds[]> {
    const res = await this.#admin!.fetchTopicOffsets(this.#opts.topic);
    return res.map((e) => ({ partition: e.partition, low: BigInt(e.low), high: BigInt(e.high) }));
  }

  /** Pauses fetching of one partition. */
  pausePartition(partition: number): void {
    this.#whileRunning(() =>
      this.#consumer?.pause([{ topic: this.#opts.topic, partitions: [partition] }])
    );
  }

  /** Resumes fetching of one partition. */
  resumePartition(partition: number): void {
    this.#whileRunning(() =>
      this.#consumer?.resume([{ topic: this.#opts.topic, partitions: [partition] }])
    );
  }

  /**
   * kafkajs throws from pause/resume while its consumer is stopped (crashed,
   * restarting): then there is nothing to pause, and a restarted consumer
   * fetches every partition from the committed offsets anyway.
   */
  #whileRunning(fn: () => void): void {
    try {
      fn();
    } catch {
      // not running: see above
    }
  }

  /** Pauses fetching of the topic. */
  pause(): void {
    this.#whileRunning(() => this.#consumer?.pause([{ topic: this.#opts.topic }]));
  }

  /** Disconnects the consumer (leaving the group), if it was created. */
  async leave(): Promise<void> {
    this.#left = true;
    clearTimeout(this.#restart);
    await this.#consumer?.disconnect();
  }

  /** Disconnects the admin, if it was created. */
  async close(): Promise<void> {
    await this.#admin?.disconnect();
  }
}
