/**
 * A paced, batching, idempotent Kafka producer loop: takes records from a
 * source at a given rate (or as fast as possible), sends them in batches, and
 * on stop delivers what is in flight before returning exact counts.
 *
 * kafkajs has no linger: we accumulate records ourselves and send one batch
 * per `send()`. Its idempotent producer serializes requests per broker and
 * reuses a failed batch's sequence numbers for the next request, so more than
 * one concurrent `send()` could let a retried batch be mistaken for a
 * duplicate. We therefore keep one send in flight (default) and overlap it with
 * building the next batch, which is where the CPU time goes.
 *
 * Riding out an outage: kafkajs gives a send up once its reconnect fails
 * (~6 s); we then send the very same messages again until the delivery
 * timeout. No duplicate can result: the producer id is fetched only at connect,
 * a failed request rolls its sequence numbers back, and the same keys map to
 * the same partitions in the same order, so a broker that did write the lost
 * attempt (its producer state survives a restart) answers with the original
 * offsets. Hence never reconnect the producer nor rebuild a batch. Limit: with
 * several brokers, a send acked by some leaders whose retries ran out on
 * others would be re-sent whole; kafkajs's own retries ride out leader moves.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { type CompressionTypes, type Kafka, Partitioners, type Producer } from "kafkajs";
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
  /** Max records per send() [10000]. */
  batchSize?: number;
  /**
   * Max encoded bytes per send(), counted as key + value + {@link RECORD_OVERHEAD}
   * per record [800000]; see {@link DEFAULT_BATCH_BYTES}.
   */
  batchBytes?: number;
  /** Concurrent send() calls [1]; see the module doc before raising it. */
  maxInFlight?: number;
  /**
   * How long a batch is retried while Kafka is unreachable or leaders move
   * before the run fails [2 min]. Connecting at start still fails within seconds.
   */
  deliveryTimeoutMs?: number;
}

/** Default {@link ProducerRunOptions.deliveryTimeoutMs}. */
export const DEFAULT_DELIVERY_TIMEOUT_MS = 120_000;
const RESEND_PAUSE_MS = 1000; // between sends of a batch (kafkajs backs off within each)

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
  /** Records handed to send(). */
  sent: number;
  /** Records acknowledged by all in-sync replicas. */
  acked: number;
  /** Records whose send failed. */
  failed: number;
  /** Value bytes acknowledged. */
  bytes: number;
  /** Time since start (ms), frozen at the end. */
  elapsedMs: number;
  /** Whether the producer is connected and the topic exists. */
  ready: boolean;
  /** Whether a batch Kafka did not take is being retried (Kafka unreachable, leaders moving). */
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
   * Why the run failed: a {@link DeliveryTimeoutError}, or the broker's refusal
   * mapped to a user error. Unset when a signal stopped a batch's retries.
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
 * Default cap of one send()'s estimated size. With one partition the whole
 * send() is one RecordBatch, and an uncompressed batch must fit the broker's
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
    // Java-compatible murmur2 partitioning, so a key lands where Java clients put it.
    createPartitioner: Partitioners.DefaultPartitioner,
    // Rides out a leader move within one send (~15 s of backoff); a longer
    // outage hands the batch back to our delivery loop, which re-sends it
    // until the delivery timeout and can stop on a signal in between.
    retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 3000 },
  });
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

/** Takes up to `n` records from `next`, stopping early at `maxSize` estimated bytes. */
function buildBatch(
  next: () => OutRecord,
  n: number,
  maxSize: number,
): { batch: OutRecord[]; bytes: number } {
  const batch: OutRecord[] = [];
  let bytes = 0; // value bytes, for the stats
  let size = 0; // estimated encoded size, for the cap
  while (batch.length < n && size < maxSize) {
    const r = next();
    batch.push(r);
    const valueBytes = Buffer.byteLength(r.value);
    bytes += valueBytes;
    size += Buffer.byteLength(r.key) + valueBytes + RECORD_OVERHEAD;
  }
  return { batch, bytes };
}

/** What {@link deliver} needs from its run. */
interface Delivery {
  opts: ProducerRunOptions;
  producer: Producer;
  stats: ProducerStats;
  compression: CompressionTypes;
  /** Records why the run failed (the first reason wins). */
  fail: (e: unknown) => void;
}

/**
 * Sends one batch until it is acknowledged. While the failure is transient it
 * re-sends the same messages (see the module doc for why that cannot
 * duplicate), until the delivery timeout after the first send or a stop signal.
 */
async function deliver(d: Delivery, messages: OutRecord[], bytes: number): Promise<void> {
  const { opts, stats } = d;
  const timeoutMs = opts.deliveryTimeoutMs ?? DEFAULT_DELIVERY_TIMEOUT_MS;
  const deadline = performance.now() + timeoutMs;
  let why: string | undefined;
  do {
    try {
      await d.producer.send({ topic: opts.topic, messages, acks: -1, compression: d.compression });
      stats.acked += messages.length;
      stats.bytes += bytes;
      stats.waiting = false;
      return;
    } catch (e) {
      why = transientFailure(e);
      if (why === undefined) d.fail(kafkaError(e, opts.brokers));
    }
    if (why === undefined || opts.signal?.aborted) break;
    stats.waiting = true;
    stats.waitReason = why;
    await sleep(Math.min(RESEND_PAUSE_MS, deadline - performance.now()), opts.signal);
  } while (!opts.signal?.aborted && performance.now() < deadline);
  // Given up: refused, timed out, or stopped by a signal (not an error then).
  if (why !== undefined && !opts.signal?.aborted) {
    d.fail(new DeliveryTimeoutError(opts.brokers, timeoutMs, why));
  }
  stats.failed += messages.length;
  stats.waiting = false;
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

  stats.ready = true;
  const start = performance.now();
  const elapsed = () => performance.now() - start;
  const pending = new Set<Promise<void>>();
  let error: unknown;

  const delivery: Delivery = { opts, producer, stats, compression, fail: (e) => error ??= e };
  const send = (messages: OutRecord[], bytes: number) => {
    stats.sent += messages.length;
    const p = deliver(delivery, messages, bytes).finally(() => pending.delete(p));
    pending.add(p);
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
      const { batch, bytes } = buildBatch(opts.next, n, batchBytes);
      // Bounded in-flight: wait for a slot before handing over the batch just built.
      while (pending.size >= maxInFlight) await Promise.race(pending);
      // Failed or stopped meanwhile: the batch was built but never sent, so not counted.
      if (error !== undefined || signal?.aborted) break;
      send(batch, bytes);
    }
    // Deliver what is in flight, even when stopped by a signal (a batch
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
  };
  if (error !== undefined) summary.error = error;
  return summary;
}
