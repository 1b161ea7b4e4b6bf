/**
 * A sink process for unit tests and the simulation (this file holds no tests
 * itself): {@link FakeMember} is a {@link ConsumerGroup} on a
 * {@link FakeCluster} that refuses commits from a stale generation (as Kafka
 * does), with an {@link ObjectStore} and a {@link DeadLetterWriter}. The test
 * decides when a batch is fetched ({@link FakeMember.fetch}), as kafkajs
 * would: one batch per partition at a time, from the committed offset after
 * a join.
 *
 * Every commit, upload and dead-letter send goes through
 * {@link FakeCluster.fault}, which decides its fate: done, refused with an
 * error, the process crashing before or after it takes effect, or (uploads)
 * held in flight until the test lands it — possibly after its sender died.
 *
 * @module
 */
import type {
  CommittedOffset,
  ConsumerGroup,
  InputBatch,
  InputHandlers,
  PartitionEnds,
} from "./input.ts";
import type { DeadLetterWriter, DeadRecord, ObjectStore } from "./outputs.ts";
import type { SinkParts } from "./sink.ts";
import type { FakeCluster, Member } from "./test_fake_cluster.ts";

export * from "./test_fake_cluster.ts";

/** What a dead process's calls return: they never complete. */
const hang = <T>(): Promise<T> => new Promise<T>(() => {});

/** A new member (one sink process) of `cluster`; `revokeAtOnce`: see {@link FakeMember.revokeAtOnce}. */
export function newMember(cluster: FakeCluster, revokeAtOnce = true): FakeMember {
  const m = new FakeMember(cluster, cluster.members.length, revokeAtOnce);
  cluster.members.push(m);
  return m;
}

/**
 * One sink process: its consumer-group membership, its S3 client and its
 * dead-letter producer. Once dead, every call it makes hangs forever.
 */
export class FakeMember implements ConsumerGroup, Member {
  readonly cluster: FakeCluster;
  readonly id: number;
  /**
   * When a newer member joins: deliver `onRevoke` at once, or only when the
   * test calls {@link deliverRevoke} (a slow rebalance, during which this
   * member still works on partitions it no longer owns).
   */
  revokeAtOnce: boolean;
  generation = -1;
  dead = false;
  revokePending = false;
  paused = false;
  readonly pausedPartitions = new Set<number>();
  handlers: InputHandlers | undefined;
  /** Next offset to fetch, per partition. */
  readonly positions = new Map<number, bigint>();
  /** Errors that made `onBatch` reject (kafkajs would restart the consumer). */
  readonly batchErrors: Error[] = [];
  readonly store: ObjectStore;
  readonly deadLetters: DeadLetterWriter;

  /** Use {@link newMember}. */
  constructor(cluster: FakeCluster, id: number, revokeAtOnce: boolean) {
    this.cluster = cluster;
    this.id = id;
    this.revokeAtOnce = revokeAtOnce;
    this.store = {
      name: "fake S3",
      prepare: () => Promise.resolve(),
      put: (key, body) => this.#put(key, body),
      describeError: (e) => `fake S3 refused the upload: ${(e as Error).message}`,
      close: () => {},
    };
    this.deadLetters = {
      connect: () => Promise.resolve(),
      write: (partition, dead) => this.#dlq(partition, dead),
      close: () => Promise.resolve(),
    };
  }

  /** The collaborators of a SinkCore running as this member. */
  parts(): SinkParts {
    return { group: this, store: this.store, deadLetters: this.deadLetters };
  }

  /** Whether this member owns `partition` in the group's current generation. */
  owns(partition: number): boolean {
    return this.cluster.generation === this.generation &&
      this.cluster.owners.get(partition) === this;
  }

  /** The process dies: nothing it does reaches the cluster any more. */
  die(): void {
    this.dead = true;
  }

  prepare(): Promise<void> {
    return Promise.resolve();
  }

  run(handlers: InputHandlers): Promise<void> {
    this.handlers = handlers;
    this.join();
    return Promise.resolve();
  }

  /** Joins (or rejoins) the group, taking every partition; fetching restarts at the committed offsets. */
  join(): void {
    this.cluster.join(this);
    this.positions.clear();
    for (let p = 0; p < this.cluster.log.length; p++) {
      const c = this.cluster.committedOffset(p);
      this.positions.set(p, c < 0n ? 0n : c);
    }
    this.handlers!.onJoin([...this.positions.keys()]);
  }

  /** Called by the cluster when a newer member took this member's partitions. */
  revoked(): void {
    if (this.revokeAtOnce) this.handlers?.onRevoke();
    else this.revokePending = true;
  }

  /** Delivers a delayed revocation. */
  deliverRevoke(): void {
    if (!this.revokePending) return;
    this.revokePending = false;
    this.handlers?.onRevoke();
  }

  async commit(partition: number, offset: bigint, metadata: string | null): Promise<void> {
    if (this.dead) return hang();
    const fate = await this.cluster.fault({
      kind: "commit",
      member: this,
      partition,
      offset,
      metadata,
    });
    if (this.dead) return hang();
    if (fate === "error") throw new Error("fake broker: REQUEST_TIMED_OUT");
    if (fate === "crash-before") return this.#crash();
    if (!this.owns(partition)) {
      this.cluster.refused.push({ member: this.id, partition, offset });
      throw new Error(
        `fake broker: ILLEGAL_GENERATION (member ${this.id} of generation ${this.generation}, group at ${this.cluster.generation})`,
      );
    }
    this.cluster.committedOffsets.set(partition, { offset, metadata });
    this.cluster.commits.push({ member: this.id, partition, offset, metadata });
    if (fate === "crash-after") return this.#crash();
  }

  committed(): Promise<Map<number, CommittedOffset>> {
    if (this.dead) return hang();
    const out = new Map<number, CommittedOffset>();
    for (let p = 0; p < this.cluster.log.length; p++) {
      out.set(p, this.cluster.committedOffsets.get(p) ?? { offset: -1n, metadata: null });
    }
    return Promise.resolve(out);
  }

  ends(): Promise<PartitionEnds[]> {
    return this.dead ? hang() : Promise.resolve(this.cluster.ends());
  }

  pause(): void {
    this.paused = true;
  }

  pausePartition(partition: number): void {
    this.pausedPartitions.add(partition);
  }

  resumePartition(partition: number): void {
    this.pausedPartitions.delete(partition);
  }

  /** As kafkajs after a failure: revoke, ask to restart (this fake does not rejoin by itself). */
  rewind(reason: Error): void {
    if (this.dead || !this.handlers) return;
    this.batchErrors.push(reason);
    this.restart(reason, false);
  }

  leave(): Promise<void> {
    if (this.dead) return hang();
    for (let p = 0; p < this.cluster.log.length; p++) {
      if (this.cluster.owners.get(p) === this) this.cluster.owners.delete(p);
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Fetches the next batch of `partition` (at most `max` records) and hands
   * it to the sink, as one kafkajs `eachBatch` call; undefined when this
   * member cannot fetch it or nothing is there. A rejected `onBatch` is what
   * kafkajs treats as a consumer crash: revoke, then ask whether to restart
   * (this fake does not rejoin by itself; see {@link restart}).
   */
  fetch(partition: number, max: number): Promise<void> | undefined {
    if (this.dead || this.paused || !this.handlers || !this.owns(partition)) return undefined;
    if (this.pausedPartitions.has(partition)) return undefined;
    const from = Number(this.positions.get(partition) ?? 0n);
    const all = this.cluster.log[partition]!;
    const messages = all.slice(from, from + max);
    if (messages.length === 0) return undefined;
    const batch: InputBatch = {
      partition,
      highWatermark: String(all.length),
      messages,
      firstOffset: () => messages[0]!.offset,
      lastOffset: () => messages[messages.length - 1]!.offset,
    };
    const h = this.handlers;
    return h.onBatch(batch, {
      resolveOffset: (o) => void this.positions.set(partition, BigInt(o) + 1n),
      heartbeat: () => {
        if (this.dead) return hang();
        if (this.owns(partition)) return Promise.resolve();
        return Promise.reject(new Error("fake broker: REBALANCE_IN_PROGRESS"));
      },
    }).catch((e: Error) => {
      this.batchErrors.push(e);
      this.restart(e, false);
    });
  }

  /** A consumer crash as kafkajs handles it: revoke, ask to restart, and rejoin if asked and `rejoin`. */
  restart(e: Error, rejoin: boolean): boolean {
    this.handlers!.onRevoke();
    const again = this.handlers!.onRestart(e);
    if (again && rejoin) this.join();
    return again;
  }

  #crash(): Promise<never> {
    this.die();
    return hang();
  }

  async #put(key: string, body: Uint8Array): Promise<void> {
    if (this.dead) return hang();
    const partition = Number(/\+(\d+)\+\d+\.parquet$/.exec(key)?.[1] ?? -1);
    const fate = await this.cluster.fault({ kind: "put", member: this, partition, key });
    if (this.dead) return hang();
    if (fate === "error") throw new Error("503 SlowDown: Please reduce your request rate.");
    if (fate === "crash-before") return this.#crash();
    if (fate === "delay" || fate === "crash-inflight") {
      const arrived = Promise.withResolvers<void>();
      this.cluster.inflight.push({ key, body, member: this, arrive: arrived.resolve });
      if (fate === "crash-inflight") return this.#crash();
      await arrived.promise;
      return this.dead ? hang() : undefined;
    }
    this.cluster.arrive(key, body, this);
    if (fate === "crash-after") return this.#crash();
  }

  async #dlq(partition: number, dead: DeadRecord[]): Promise<void> {
    if (this.dead) return hang();
    const offset = dead[0]?.offset;
    const fate = await this.cluster.fault({
      kind: "dlq",
      member: this,
      partition,
      ...(offset === undefined ? {} : { offset }),
    });
    if (this.dead) return hang();
    if (fate === "error") throw new Error("fake broker: NOT_LEADER_OR_FOLLOWER");
    if (fate === "crash-before") return this.#crash();
    for (const r of dead) this.cluster.deadLetters.push({ partition, offset: r.offset });
    if (fate === "crash-after") return this.#crash();
  }
}
