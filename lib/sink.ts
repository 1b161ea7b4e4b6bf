/**
 * The sink: Kafka → Parquet objects on S3, exactly once.
 *
 * Protocol per partition (proved by simulation in `batch_test.ts`):
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
import { Buffer } from "node:buffer";
import type { Admin, Consumer, EachBatchPayload, Kafka, Producer } from "kafkajs";
import type { S3Client } from "@aws-sdk/client-s3";
import { type Config } from "./config.ts";
import { decodeEvent } from "./events.ts";
import { encodeParquet, type ParquetCompression } from "./parquet.ts";
import {
  type BufferedRecord,
  chunksByBytes,
  cutPoint,
  decodePlan,
  encodePlan,
  type FlushLimits,
  type PlannedCut,
  planObjects,
} from "./batch.ts";
import { compressionType, createKafka, ensureTopic, withKafkaErrors } from "./kafka.ts";
import { createS3Client, describeS3Error, ensureBucket, putObject, s3Call } from "./s3.ts";

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

/** Counters, exposed as Prometheus metrics and in the summary. */
export interface SinkStats {
  records: number;
  deadLetters: number;
  files: number;
  bytes: number;
  flushes: number;
  s3Retries: number;
  restarts: number;
  /** Lag per partition as last seen (high watermark − next offset). */
  lag: Map<number, number>;
  startedAt: number;
}

interface PartitionState {
  records: BufferedRecord[];
  bytes: number;
  startedAt: number;
  /** Next offset expected; earlier offsets were already buffered. */
  next: bigint | undefined;
  plan: PlannedCut | undefined;
}

const RETRY_MIN_MS = 250;
/** Dead-letter values over this size are cut when the broker refuses them whole. */
const DLQ_TRUNCATE_BYTES = 256 * 1024;
/** Bytes of keys and values per dead-letter request, well under the broker's 1 MB default. */
const DLQ_REQUEST_BYTES = 512 * 1024;
const RETRY_MAX_MS = 5_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A running sink; `stop()` flushes, commits and leaves the group. */
export class Sink {
  readonly stats: SinkStats = {
    records: 0,
    deadLetters: 0,
    files: 0,
    bytes: 0,
    flushes: 0,
    s3Retries: 0,
    restarts: 0,
    lag: new Map(),
    startedAt: Date.now(),
  };
  #opts: SinkOptions;
  #kafka: Kafka;
  #s3: S3Client;
  #cfg: Config;
  #admin: Admin | undefined;
  #consumer: Consumer | undefined;
  #producer: Producer | undefined;
  /** Changes whenever the group membership may have changed; flushes of an older epoch give up. */
  #epoch = 0;
  #parts = new Map<number, PartitionState>();
  #locks = new Map<number, Promise<void>>();
  #plans: Promise<Map<number, { offset: bigint; metadata: string | null }>> | undefined;
  #stopping = false;
  #lastMessageAt = Date.now();
  #timer: ReturnType<typeof setInterval> | undefined;
  #done: PromiseWithResolvers<void> = Promise.withResolvers<void>();
  #starting: Promise<void> | undefined;
  #s3Down = false;
  /** Partitions with an age-triggered flush queued or running. */
  #busy = new Set<number>();
  #checkingIdle = false;

  constructor(cfg: Config, opts: SinkOptions) {
    this.#cfg = cfg;
    this.#opts = opts;
    this.#kafka = createKafka({ brokers: cfg.kafkaBrokers, clientId: "music-sink" });
    // Uploads must end well within the group session (15 s) so a stalled one cannot outlive our ownership.
    this.#s3 = createS3Client(cfg.s3, { timeoutMs: 10_000 });
  }

  /**
   * Connects, ensures topics and bucket, joins the group and starts consuming.
   * A `stop()` meanwhile ends the start-up early. Call `stop()` after a failed
   * start to close what was opened.
   */
  start(): Promise<void> {
    this.#starting ??= this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    const { topic, dlqTopic, group, partitions } = this.#opts;
    const brokers = this.#cfg.kafkaBrokers;
    await s3Call(
      this.#cfg.s3.endpoint,
      `Cannot prepare bucket "${this.#opts.bucket}"`,
      () => ensureBucket(this.#s3, this.#opts.bucket),
    );
    if (this.#stopping) return;
    const admin = this.#kafka.admin();
    this.#admin = admin;
    await withKafkaErrors(brokers, async () => {
      await admin.connect();
      await ensureTopic(admin, topic, partitions);
      await ensureTopic(admin, dlqTopic, 1);
    });
    if (this.#stopping) return;
    const producer = this.#kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    this.#producer = producer;
    await withKafkaErrors(brokers, () => producer.connect());
    if (this.#stopping) return;

    const consumer = this.#kafka.consumer({
      groupId: group,
      sessionTimeout: 15_000,
      heartbeatInterval: 3_000,
      maxBytesPerPartition: 4 * 1024 * 1024,
      maxWaitTimeInMs: 500,
      // One attempt per request: a failure restarts the consumer from the
      // committed offsets instead of a retry landing in a newer generation.
      retry: {
        retries: 0,
        initialRetryTime: 1000,
        restartOnFailure: (e) => {
          this.stats.restarts++;
          this.#opts.log(`warning: Kafka consumer restarting after: ${e.message}`);
          return Promise.resolve(!this.#stopping);
        },
      },
    });
    this.#consumer = consumer;
    const newEpoch = () => {
      this.#epoch++;
      this.#parts.clear();
      this.#plans = undefined;
    };
    consumer.on(consumer.events.REBALANCING, newEpoch);
    consumer.on(consumer.events.CRASH, newEpoch);
    consumer.on(consumer.events.GROUP_JOIN, () => {
      newEpoch();
      const plans = this.#loadPlans();
      // Awaited by the first batch of each partition; a failure surfaces there.
      plans.catch(() => {});
      this.#plans = plans;
    });
    await withKafkaErrors(brokers, async () => {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 8,
        eachBatch: (payload) => this.#onBatch(payload),
      });
    });
    if (!this.#stopping) this.#timer = setInterval(() => this.#tick(), 250);
  }

  /** Resolves when the sink has stopped (by `stop()` or `--until-idle`). */
  get done(): Promise<void> {
    return this.#done.promise;
  }

  /** Committed offsets and plan metadata of the group for our topic. */
  async #loadPlans() {
    const out = new Map<number, { offset: bigint; metadata: string | null }>();
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

  #state(partition: number): PartitionState {
    let st = this.#parts.get(partition);
    if (!st) {
      st = { records: [], bytes: 0, startedAt: Date.now(), next: undefined, plan: undefined };
      this.#parts.set(partition, st);
    }
    return st;
  }

  /** Serialises work on one partition (batches from Kafka and age-triggered flushes). */
  async #withLock(partition: number, fn: () => Promise<void>): Promise<void> {
    const prev = this.#locks.get(partition) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => {});
    this.#locks.set(partition, tail);
    await run;
  }

  async #onBatch({ batch, resolveOffset, heartbeat }: EachBatchPayload): Promise<void> {
    if (this.#stopping || batch.messages.length === 0) return;
    const partition = batch.partition;
    const epoch = this.#epoch;
    await this.#withLock(partition, async () => {
      if (epoch !== this.#epoch || this.#stopping) return;
      const st = this.#state(partition);
      if (st.next === undefined) {
        // First batch of this partition in this membership: replay a recorded plan.
        const plans = await (this.#plans ??= this.#loadPlans());
        if (epoch !== this.#epoch) return;
        const committed = plans.get(partition);
        const first = BigInt(batch.firstOffset() ?? batch.messages[0]!.offset);
        if (committed?.offset === first) st.plan = decodePlan(committed.metadata, first);
      }
      for (const m of batch.messages) {
        const offset = BigInt(m.offset);
        if (st.next !== undefined && offset < st.next) continue;
        if (st.records.length === 0) st.startedAt = Date.now();
        st.records.push(this.#decode(partition, m, offset));
        st.bytes += (m.value?.byteLength ?? 0) + (m.key?.byteLength ?? 0);
        st.next = offset + 1n;
      }
      this.#lastMessageAt = Date.now();
      this.stats.lag.set(partition, Number(BigInt(batch.highWatermark) - st.next!));
      resolveOffset(batch.lastOffset());
      await this.#flushReady(partition, st, epoch, heartbeat, false);
      await heartbeat();
    });
  }

  #decode(partition: number, m: EachBatchPayload["batch"]["messages"][number], offset: bigint) {
    const value = m.value
      ? new Uint8Array(m.value.buffer, m.value.byteOffset, m.value.byteLength)
      : null;
    const res = decodeEvent(value, this.#opts.maxRecordBytes);
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

  /** Flushes while the partition's buffer says so (or everything, when `all`). */
  async #flushReady(
    partition: number,
    st: PartitionState,
    epoch: number,
    heartbeat: (() => Promise<void>) | undefined,
    all: boolean,
  ): Promise<void> {
    const limits = all ? { ...this.#opts.limits, maxAgeMs: 0 } : this.#opts.limits;
    while (epoch === this.#epoch) {
      const cut = cutPoint(st, limits, Date.now(), st.plan);
      if (!cut.flush) return;
      const records = st.records.slice(0, cut.count);
      const ok = await this.#flush(partition, records, st.plan, epoch, heartbeat);
      if (!ok) return;
      st.records = st.records.slice(cut.count);
      st.bytes = st.records.reduce((n, r) => n + r.bytes, 0);
      st.startedAt = Date.now();
      st.plan = undefined;
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
    heartbeat: (() => Promise<void>) | undefined,
  ): Promise<boolean> {
    const { topic, prefix, bucket, compression } = this.#opts;
    const start = records[0]!.offset;
    const end = records[records.length - 1]!.offset + 1n;
    const current = () => epoch === this.#epoch;
    const commit = async (offset: bigint, metadata: string | null) => {
      await this.#retry(
        current,
        heartbeat,
        "Kafka commit",
        () =>
          this.#consumer!.commitOffsets([{
            topic,
            partition,
            offset: offset.toString(),
            metadata,
          }]),
      );
    };
    if (!plan) {
      await commit(start, encodePlan({ start, end }));
      if (!current()) return false;
    }
    for (const obj of planObjects(prefix, topic, partition, records)) {
      const body = encodeParquet(obj.rows, compression);
      await this.#retry(
        current,
        heartbeat,
        "S3 upload",
        () => putObject(this.#s3, bucket, obj.key, body),
      );
      if (!current()) return false;
      this.stats.files++;
      this.stats.bytes += body.byteLength;
      this.#opts.debug?.(
        `stored s3://${bucket}/${obj.key} rows=${obj.rows.length} bytes=${body.byteLength} offsets=${obj.firstOffset}..${
          obj.rows[obj.rows.length - 1]!.offset
        }`,
      );
    }
    const dead = records.filter((r) => r.kind === "dead");
    if (dead.length > 0) {
      await this.#retry(
        current,
        heartbeat,
        "dead-letter send",
        () => this.#sendDeadLetters(partition, dead),
      );
      if (!current()) return false;
    }
    await commit(end, null);
    if (!current()) return false;
    this.stats.records += records.length - dead.length;
    this.stats.deadLetters += dead.length;
    this.stats.flushes++;
    return true;
  }

  /**
   * Sends dead letters with their original key, value and headers plus the
   * reason and source coordinates, in requests of at most DLQ_REQUEST_BYTES
   * (the broker refuses larger record batches). A value the broker refuses as
   * too large is truncated (header `dlq.value.truncated` gives its size).
   */
  async #sendDeadLetters(partition: number, dead: Extract<BufferedRecord, { kind: "dead" }>[]) {
    const { topic, dlqTopic } = this.#opts;
    const message = (r: (typeof dead)[number], truncate: boolean) => {
      const value = r.raw.value;
      const cut = truncate && value !== null && value.byteLength > DLQ_TRUNCATE_BYTES;
      const headers: Record<string, string | Buffer> = {};
      for (const [k, v] of Object.entries(r.raw.headers)) {
        if (v !== undefined) headers[k] = typeof v === "string" ? v : Buffer.from(v);
      }
      Object.assign(headers, {
        "dlq.reason": r.reason,
        "dlq.source.topic": topic,
        "dlq.source.partition": String(partition),
        "dlq.source.offset": r.offset.toString(),
        ...(cut ? { "dlq.value.truncated": String(value.byteLength) } : {}),
      });
      return {
        key: r.raw.key ? Buffer.from(r.raw.key) : null,
        value: value === null
          ? null
          : Buffer.from(cut ? value.subarray(0, DLQ_TRUNCATE_BYTES) : value),
        timestamp: r.raw.timestamp,
        headers,
      };
    };
    const send = (chunk: typeof dead, truncate: boolean) =>
      this.#producer!.send({
        topic: dlqTopic,
        acks: -1,
        compression: compressionType("zstd"),
        messages: chunk.map((r) => message(r, truncate)),
      });
    for (
      const chunk of chunksByBytes(
        dead,
        (r) => r.bytes + (r.raw.key?.byteLength ?? 0),
        DLQ_REQUEST_BYTES,
      )
    ) {
      try {
        await send(chunk, false);
      } catch (e) {
        const what = `${(e as { type?: string }).type} ${(e as Error).message}`;
        if (!/too large|MESSAGE_TOO_LARGE|RECORD_LIST_TOO_LARGE/i.test(what)) throw e;
        await send(chunk, true);
      }
    }
  }

  /** Retries `fn` with backoff until it succeeds or the membership changes. */
  async #retry(
    current: () => boolean,
    heartbeat: (() => Promise<void>) | undefined,
    what: string,
    fn: () => Promise<unknown>,
  ): Promise<void> {
    let wait = RETRY_MIN_MS;
    for (let attempt = 1; current(); attempt++) {
      try {
        await fn();
        if (what === "S3 upload" && this.#s3Down) {
          this.#s3Down = false;
          this.#opts.log(`S3 at ${this.#cfg.s3.endpoint} is back; resuming`);
        }
        return;
      } catch (e) {
        if (what === "S3 upload") {
          this.stats.s3Retries++;
          if (!this.#s3Down) {
            this.#s3Down = true;
            this.#opts.log(
              `warning: ${
                describeS3Error(e, this.#cfg.s3.endpoint)
              }; holding the batch and retrying`,
            );
          }
        } else if (attempt === 1 || attempt % 10 === 0) {
          this.#opts.log(`warning: ${what} failed (attempt ${attempt}): ${(e as Error).message}`);
        }
        if (!current()) return;
        // Keep our group session alive while we wait, so the partition stays ours.
        if (heartbeat) await heartbeat();
        await sleep(wait);
        wait = Math.min(RETRY_MAX_MS, wait * 2);
      }
    }
  }

  /** Age-triggered flushes of quiet partitions, and the `--until-idle` exit. */
  #tick(): void {
    if (this.#stopping) return;
    const idle = this.#opts.untilIdleMs !== undefined &&
      Date.now() - this.#lastMessageAt >= this.#opts.untilIdleMs;
    for (const [partition, st] of this.#parts) {
      if (st.records.length === 0) continue;
      const due = idle || Date.now() - st.startedAt >= this.#opts.limits.maxAgeMs;
      if (!due || this.#busy.has(partition)) continue;
      const epoch = this.#epoch;
      this.#busy.add(partition);
      this.#withLock(partition, () => this.#flushReady(partition, st, epoch, undefined, idle))
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
    if ([...this.#parts.values()].some((s) => s.records.length > 0)) return false;
    const admin = this.#admin!;
    const [ends, committed] = await Promise.all([
      admin.fetchTopicOffsets(this.#opts.topic),
      admin.fetchOffsets({ groupId: this.#opts.group, topics: [this.#opts.topic] }),
    ]);
    const done = new Map(
      committed[0]?.partitions.map((p) => [p.partition, BigInt(p.offset)]) ?? [],
    );
    return ends.every((e) => {
      const high = BigInt(e.high);
      const low = BigInt(e.low);
      const c = done.get(e.partition) ?? -1n;
      return high === low || c >= high;
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
      const consumer = this.#consumer;
      if (consumer) {
        consumer.pause([{ topic: this.#opts.topic }]);
        const epoch = this.#epoch;
        const flushed = await Promise.allSettled(
          [...this.#parts].map(([partition, st]) =>
            this.#withLock(partition, () => this.#flushReady(partition, st, epoch, undefined, true))
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
        await consumer.disconnect().catch(() => {});
      }
      await this.#producer?.disconnect().catch(() => {});
      await this.#admin?.disconnect().catch(() => {});
      this.#s3.destroy();
    } finally {
      this.#done.resolve();
    }
  }
}

/** Prometheus text exposition of the sink's counters. */
export function metricsText(stats: SinkStats, topic: string): string {
  const t = `topic="${topic}"`;
  const counters: [string, string, number][] = [
    ["sink_records_total", "Records stored as Parquet rows.", stats.records],
    ["sink_dead_letters_total", "Records sent to the dead-letter topic.", stats.deadLetters],
    ["sink_files_total", "Parquet objects stored.", stats.files],
    ["sink_bytes_total", "Bytes of Parquet stored.", stats.bytes],
    ["sink_s3_retries_total", "Failed S3 uploads that were retried.", stats.s3Retries],
    ["sink_consumer_restarts_total", "Kafka consumer restarts after errors.", stats.restarts],
  ];
  const lines = counters.flatMap(([name, help, value]) => [
    `# HELP ${name} ${help}`,
    `# TYPE ${name} counter`,
    `${name}{${t}} ${value}`,
  ]);
  lines.push(
    "# HELP sink_lag_records Records behind the partition's end, as last fetched.",
    "# TYPE sink_lag_records gauge",
    ...[...stats.lag].map(([p, lag]) => `sink_lag_records{${t},partition="${p}"} ${lag}`),
  );
  return lines.join("\n") + "\n";
}
