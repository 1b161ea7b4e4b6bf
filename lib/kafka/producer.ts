/**
 * A paced, batching, idempotent Kafka producer loop: takes records from a
 * source at a given rate (or as fast as possible), sends them in batches, and
 * on stop delivers what is in flight before returning exact counts.
 *
 * kafkajs has no linger: we accumulate records ourselves, split each batch by
 * partition (murmur2 of the key, as kafkajs and Java clients do), and send
 * each partition's share with its own `send()`.
 *
 * Why one partition per `send()`: kafkajs's idempotent producer numbers each
 * partition's records in sequence, and rolls a partition's numbers back when
 * the request carrying them fails. A one-partition send is one request to one
 * leader, so its outcome is all or nothing, and re-sending the very same
 * messages reuses the very same sequence numbers. A broker that did store the
 * first attempt — the old leader before it died, or the new one, since
 * producer state is replicated with the log and survives a restart — answers
 * the re-send as a duplicate with the original offsets; one that did not
 * stores it. Either way each record is stored once. A send spanning partitions
 * on several leaders could succeed on some and not others: re-sent whole it
 * duplicated, and a retry within kafkajs skips a partition whose new leader
 * already answered that send, leaving acked records unwritten and their
 * sequence numbers to the next batch (lost, or OUT_OF_ORDER_SEQUENCE_NUMBER).
 *
 * This only holds while one partition's sends follow one another: the next
 * share of a partition starts after the previous one was acked, and a share
 * whose fate is unknown (given up on a timeout or a stop) ends all sending to
 * its partition. Shares of different partitions go concurrently. The
 * producer id is fetched only at connect, so the producer is never
 * reconnected and a share never rebuilt.
 *
 * Riding out an outage: kafkajs gives a send up once its own retries fail
 * (~6 s when the broker is down); we then send the same messages again until
 * the delivery timeout. Each attempt is raced against that timeout and a stop,
 * since kafkajs's retries (up to 30 s per request) can outlast both; only a
 * send that resolved counts as acked.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import {
  type CompressionTypes,
  type Kafka,
  type Message,
  Partitioners,
  type PartitionMetadata,
  type Producer,
} from "kafkajs";
import { UserError } from "../core/errors.ts";
import { sleep } from "../core/process.ts";
import { formatElapsed } from "../core/progress.ts";
import { ensureTopic } from "./admin.ts";
import { type Compression, compressionType, kafkaError, transientFailure } from "./client.ts";

/** One record to send. */
export interface OutRecord {
  key: string;
  value: string;
}

/** Options of {@link startProducer}. */
export interface ProducerRunOptions {
  kafka: Kafka;
  /** Bootstrap servers, for error messages. */
  brokers: string[];
  topic: string;
  /** Partitions when the topic must be created. */
  partitions: number;
  compression: Compression;
  /** Records per second; 0 = as fast as possible. */
  rate: number;
  /** Stop after this many records. */
  count?: number;
  /** Stop after this long (ms). */
  durationMs?: number;
  /** The record source, called once per record. */
  next: () => OutRecord;
  /** Aborting stops generating; what is in flight is still delivered. */
  signal?: AbortSignal;
  /** Max records per batch, over all partitions [10000]. */
  batchSize?: number;
  /**
   * Max encoded bytes per batch, counted as key + value + {@link RECORD_OVERHEAD}
   * per record [800000]; see {@link DEFAULT_BATCH_BYTES}.
   */
  batchBytes?: number;
  /**
   * Batches in flight [1]. Each partition still has at most one send in
   * flight (see the module doc); more batches let the others move on while
   * one partition is slow.
   */
  maxInFlight?: number;
  /**
   * How long a partition's share of a batch is retried while Kafka is
   * unreachable or leaders move before the run fails [2 min]. Connecting at
   * start still fails within seconds.
   */
  deliveryTimeoutMs?: number;
}

/** Default {@link ProducerRunOptions.deliveryTimeoutMs}. */
export const DEFAULT_DELIVERY_TIMEOUT_MS = 120_000;
const RESEND_PAUSE_MS = 1000; // between sends of a share (kafkajs backs off within each)

/**
 * A send unanswered this long counts as stalled: the progress line shows
 * `waiting for Kafka…`, and on a stop it is given up rather than awaited
 * (a healthy send answers in milliseconds).
 */
export const STALL_MS = 3000;

/** The run gave up: Kafka stayed unreachable for the whole delivery timeout. */
export class DeliveryTimeoutError extends UserError {
  override name = "DeliveryTimeoutError";
  /** `reason`: the last failure in a few words, e.g. "connection refused". */
  constructor(brokers: string[], ms: number, reason: string) {
    // As the flag is usually written: 2m, 45s.
    const t = ms > 0 && ms % 60_000 === 0
      ? `${ms / 60_000}m`
      : ms % 1000
      ? formatElapsed(ms)
      : `${ms / 1000}s`;
    super(`Kafka at ${brokers.join(",")} unreachable for ${t} (${reason})`);
  }
}

/** Live counters of a run. */
export interface ProducerStats {
  /** Records handed over for sending. */
  sent: number;
  /** Records acknowledged by all in-sync replicas: their send() resolved. */
  acked: number;
  /**
   * Records not acknowledged: refused, given up, or never sent after a stop
   * or failure. Those given up mid-send may or may not be in the topic.
   */
  failed: number;
  /** Value bytes acknowledged. */
  bytes: number;
  /** Time since start (ms), frozen at the end. */
  elapsedMs: number;
  /** Whether the producer is connected and the topic exists. */
  ready: boolean;
  /** Whether a share Kafka did not take is being retried (Kafka unreachable, leaders moving). */
  waiting: boolean;
  /** Why, while {@link waiting}: the last failure in a few words. */
  waitReason: string;
}

/** Outcome of a run. */
export interface ProducerSummary extends ProducerStats {
  topic: string;
  /** Whether the topic was created by this run. */
  createdTopic: boolean;
  partitions: number;
  /** Whether the run ended because of the signal. */
  stopped: boolean;
  /**
   * Sends given up while kafkajs was still retrying them. kafkajs cannot
   * cancel a send, so its retries may keep the process alive for a while
   * after the run; a command-line task should exit once it reported.
   */
  abandoned: number;
  /**
   * Why the run failed: a {@link DeliveryTimeoutError}, or the broker's refusal
   * mapped to a user error. Unset when a signal stopped a share's retries.
   */
  error?: unknown;
}

/** A running producer: live stats and the final summary. */
export interface ProducerRun {
  readonly stats: Readonly<ProducerStats>;
  /** Resolves when done; rejects only when setup (connect, topic) fails. */
  readonly done: Promise<ProducerSummary>;
}

/**
 * Upper bound of the per-record framing kafkajs adds in a RecordBatch (length,
 * attributes, timestamp and offset deltas, key/value lengths, header count: all
 * varints), so a batch's size can be estimated without encoding it.
 */
export const RECORD_OVERHEAD = 24;

/**
 * Default cap of one batch's estimated size. A partition's share of a batch
 * is one RecordBatch, and an uncompressed batch must fit the broker's
 * default message.max.bytes (1,048,588) or it is refused with
 * MESSAGE_TOO_LARGE; counting only value bytes once let a 900 kB cap grow to
 * 1.17 MB. 800 kB leaves room for the batch header and estimate error.
 */
export const DEFAULT_BATCH_BYTES = 800_000;

/** Creates the idempotent, acks=all producer every run uses. */
export function createIdempotentProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    // Java-compatible murmur2 partitioning, so a key lands where Java clients
    // put it (our runs set the partition themselves, with the same function).
    createPartitioner: Partitioners.DefaultPartitioner,
    // Rides out a leader move within one send (~15 s of backoff); a longer
    // outage hands the share back to our delivery loop, which re-sends it
    // until the delivery timeout and can stop on a signal in between.
    retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 3000 },
  });
}

/**
 * The partition of a key among `partitions`: kafkajs's default (Java
 * compatible, murmur2) partitioner, so a key lands where any client puts it.
 *
 * @example
 * ```ts
 * const partitionOf = keyPartitioner("music_events", 3);
 * partitionOf("user-1"); // 0, 1 or 2, always the same for "user-1"
 * ```
 */
export function keyPartitioner(topic: string, partitions: number): (key: string) => number {
  const partitioner = Partitioners.DefaultPartitioner();
  // With a key, only the number of partitions matters; leaders are ignored.
  const partitionMetadata = Array.from(
    { length: partitions },
    (_, partitionId) => ({ partitionId, leader: 0 }) as PartitionMetadata,
  );
  return (key) => partitioner({ topic, partitionMetadata, message: { key, value: null } });
}

/**
 * Starts producing. The topic is created if missing. Returns live stats and
 * a promise of the summary; see {@link ProducerRunOptions}.
 *
 * @example
 * ```ts
 * const gen = new EventGenerator({ seed: 1 });
 * const { done } = startProducer({
 *   kafka, brokers, topic: "music_events", partitions: 3, compression: "zstd", rate: 0,
 *   count: 1000,
 *   next: () => {
 *     const e = gen.next();
 *     return { key: e.event_param.user_id, value: eventJson(e) };
 *   },
 * });
 * const summary = await done; // summary.acked === 1000 unless a send failed
 * ```
 */
export function startProducer(opts: ProducerRunOptions): ProducerRun {
  const stats: ProducerStats = {
    sent: 0,
    acked: 0,
    failed: 0,
    bytes: 0,
    elapsedMs: 0,
    ready: false,
    waiting: false,
    waitReason: "",
  };
  return { stats, done: run(opts, stats) };
}

/** Creates the topic if missing and connects the producer; failures become user errors. */
async function setUp(
  opts: ProducerRunOptions,
  producer: Producer,
): Promise<{ created: boolean; partitions: number }> {
  const admin = opts.kafka.admin();
  try {
    await admin.connect();
    let topicInfo: { created: boolean; partitions: number };
    try {
      topicInfo = await ensureTopic(admin, opts.topic, opts.partitions);
    } finally {
      await admin.disconnect();
    }
    await producer.connect();
    return topicInfo;
  } catch (e) {
    await producer.disconnect().catch(() => {});
    throw kafkaError(e, opts.brokers);
  }
}

/** One partition's share of a batch: what one send() carries. */
interface Share {
  partition: number;
  messages: Message[];
  /** Value bytes, for the stats. */
  bytes: number;
}

/**
 * Takes up to `n` records from `next`, stopping early at `maxSize` estimated
 * bytes, grouped by partition.
 */
function buildBatch(
  next: () => OutRecord,
  partitionOf: (key: string) => number,
  n: number,
  maxSize: number,
): Share[] {
  const shares = new Map<number, Share>();
  let taken = 0;
  let size = 0; // estimated encoded size, for the cap
  while (taken < n && size < maxSize) {
    const { key, value } = next();
    const partition = partitionOf(key);
    let share = shares.get(partition);
    if (!share) shares.set(partition, share = { partition, messages: [], bytes: 0 });
    share.messages.push({ key, value, partition });
    const valueBytes = Buffer.byteLength(value);
    share.bytes += valueBytes;
    size += Buffer.byteLength(key) + valueBytes + RECORD_OVERHEAD;
    taken++;
  }
  return [...shares.values()];
}

/** What {@link deliver} needs from its run. */
interface Delivery {
  opts: ProducerRunOptions;
  producer: Producer;
  stats: ProducerStats;
  compression: CompressionTypes;
  /** Aborts on the user's signal or when the run failed: finish up, send nothing new. */
  stop: AbortSignal;
  /** Partitions whose last share's fate is unknown: nothing more may be sent to them. */
  closed: Set<number>;
  /** Shares being re-sent now, for {@link ProducerStats.waiting}. */
  retrying: Set<Share>;
  /** Sends given up while kafkajs still ran them. */
  abandoned: number;
  /** Records why the run failed (the first reason wins) and stops the run. */
  fail: (e: unknown) => void;
}

/**
 * One send() of a share, raced against the deadline and a stop: on a stop an
 * attempt gets until it is {@link STALL_MS} old. Resolves to "acked", the
 * error, or "given up" (kafkajs still runs the send).
 */
async function attempt(
  d: Delivery,
  share: Share,
  deadline: number,
): Promise<"acked" | "given up" | { error: unknown }> {
  const started = performance.now();
  const send = d.producer.send({
    topic: d.opts.topic,
    messages: share.messages,
    acks: -1,
    compression: d.compression,
  }).then(() => "acked" as const, (error: unknown) => ({ error }));
  const cancel = new AbortController();
  const giveUp = (async () => {
    await sleep(
      Math.max(0, deadline - performance.now()),
      AbortSignal.any([d.stop, cancel.signal]),
    );
    if (d.stop.aborted) {
      await sleep(Math.max(0, started + STALL_MS - performance.now()), cancel.signal);
    }
    return "given up" as const;
  })();
  try {
    const outcome = await Promise.race([send, giveUp]);
    if (outcome === "given up") d.abandoned++;
    return outcome;
  } finally {
    cancel.abort();
  }
}

/**
 * Delivers one share, after the previous share of its partition. While the
 * failure is transient it re-sends the same messages (see the module doc for
 * why that cannot duplicate), until the delivery timeout after the first send
 * or a stop. A share whose fate is unknown closes its partition.
 */
async function deliver(d: Delivery, share: Share): Promise<void> {
  const { opts, stats } = d;
  const n = share.messages.length;
  // After a failure nothing new is sent; after a signal, what was handed over still is.
  if (d.closed.has(share.partition) || (d.stop.aborted && !opts.signal?.aborted)) {
    stats.failed += n;
    return;
  }
  const timeoutMs = opts.deliveryTimeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS;
  const deadline = performance.now() + timeoutMs;
  let why: string | undefined;
  try {
    for (;;) {
      const outcome = await attempt(d, share, deadline);
      if (outcome === "acked") {
        stats.acked += n;
        stats.bytes += share.bytes;
        return;
      }
      if (outcome === "given up") break;
      why = transientFailure(outcome.error);
      if (why === undefined) {
        d.fail(kafkaError(outcome.error, opts.brokers));
        break;
      }
      if (d.stop.aborted || performance.now() >= deadline) break;
      d.retrying.add(share);
      stats.waiting = true;
      stats.waitReason = why;
      await sleep(Math.max(0, Math.min(RESEND_PAUSE_MS, deadline - performance.now())), d.stop);
      if (d.stop.aborted || performance.now() >= deadline) break;
    }
    // Not acked. Unless stopped (by a signal, or by a failure already
    // recorded, such as a refusal), the deadline passed: the run fails.
    if (!d.stop.aborted) {
      d.fail(new DeliveryTimeoutError(opts.brokers, timeoutMs, why ?? "no answer"));
    }
    d.closed.add(share.partition);
    stats.failed += n;
  } finally {
    d.retrying.delete(share);
    stats.waiting = d.retrying.size > 0;
  }
}

async function run(opts: ProducerRunOptions, stats: ProducerStats): Promise<ProducerSummary> {
  const batchSize = opts.batchSize ?? 10_000;
  const batchBytes = opts.batchBytes ?? DEFAULT_BATCH_BYTES;
  const maxInFlight = Math.max(1, opts.maxInFlight ?? 1);
  const limit = opts.count ?? Infinity;
  const compression = compressionType(opts.compression);
  const { signal } = opts;

  const producer = createIdempotentProducer(opts.kafka);
  const topicInfo = await setUp(opts, producer);
  const partitionOf = keyPartitioner(opts.topic, topicInfo.partitions);

  stats.ready = true;
  const start = performance.now();
  const elapsed = () => performance.now() - start;
  const pending = new Set<Promise<unknown>>();
  const failed = new AbortController();
  let error: unknown;

  const delivery: Delivery = {
    opts,
    producer,
    stats,
    compression,
    stop: signal ? AbortSignal.any([signal, failed.signal]) : failed.signal,
    closed: new Set(),
    retrying: new Set(),
    abandoned: 0,
    fail: (e) => {
      error ??= e;
      failed.abort();
    },
  };
  // The last delivery of each partition: the next share of it waits for that one.
  const tails = new Map<number, Promise<void>>();
  const send = (shares: Share[]) => {
    const deliveries = shares.map((share) => {
      stats.sent += share.messages.length;
      const p = (tails.get(share.partition) ?? Promise.resolve()).then(() =>
        deliver(delivery, share)
      );
      tails.set(share.partition, p);
      return p;
    });
    const batch = Promise.all(deliveries).finally(() => pending.delete(batch));
    pending.add(batch);
  };

  try {
    while (!signal?.aborted && error === undefined) {
      const generated = stats.sent;
      if (generated >= limit) break;
      if (opts.durationMs !== undefined && elapsed() >= opts.durationMs) break;
      let n = Math.min(batchSize, limit - generated);
      if (opts.rate > 0) {
        // Records due by now: the first at t=0, then one every 1/rate seconds.
        const due = Math.floor((opts.rate * elapsed()) / 1000) + 1 - generated;
        if (due <= 0) {
          const nextAt = (generated * 1000) / opts.rate;
          let wait = Math.min(nextAt - elapsed(), 200);
          if (opts.durationMs !== undefined) wait = Math.min(wait, opts.durationMs - elapsed());
          await sleep(Math.max(1, wait), signal);
          continue;
        }
        n = Math.min(n, due);
      }
      const shares = buildBatch(opts.next, partitionOf, n, batchBytes);
      // Bounded in-flight: wait for a slot before handing over the batch just built.
      while (pending.size >= maxInFlight) await Promise.race(pending);
      // Failed or stopped meanwhile: the batch was built but never sent, so not counted.
      if (error !== undefined || signal?.aborted) break;
      send(shares);
    }
    // Deliver what is in flight, even when stopped by a signal (a share
    // waiting for Kafka then gives up, counted as failed).
    while (pending.size > 0) await Promise.race(pending);
  } finally {
    await producer.disconnect().catch(() => {});
  }
  stats.elapsedMs = elapsed();
  const summary: ProducerSummary = {
    ...stats,
    topic: opts.topic,
    createdTopic: topicInfo.created,
    partitions: topicInfo.partitions,
    stopped: signal?.aborted ?? false,
    abandoned: delivery.abandoned,
  };
  if (error !== undefined) summary.error = error;
  return summary;
}
