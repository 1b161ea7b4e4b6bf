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
 * @module
 */
import { Buffer } from "node:buffer";
import { type Kafka, Partitioners, type Producer } from "kafkajs";
import { checkTopicName, ConfigError, parseCount, parseDuration } from "./config.ts";
import {
  type Compression,
  COMPRESSIONS,
  compressionType,
  ensureTopic,
  kafkaError,
} from "./kafka.ts";
import { formatBytes, formatCount, formatElapsed, Progress, RateMeter } from "./progress.ts";

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
}

/** Outcome of a run. */
export interface ProducerSummary extends ProducerStats {
  topic: string;
  /** Whether the topic was created by this run. */
  createdTopic: boolean;
  partitions: number;
  /** Whether the run ended because of the signal. */
  stopped: boolean;
  /** The first send failure (already mapped to a user error when it is a connection failure). */
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

/** Sleeps `ms`, or less when `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Creates the idempotent, acks=all producer every run uses. */
export function createIdempotentProducer(kafka: Kafka): Producer {
  return kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    // Java-compatible murmur2 partitioning, so a key lands where Java clients put it.
    createPartitioner: Partitioners.DefaultPartitioner,
    // Bounded, so a broker that disappears mid-run fails the run instead of hanging it.
    retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 3000 },
  });
}

/**
 * Starts producing. The topic is created if missing. Returns live stats and
 * a promise of the summary; see {@link ProducerRunOptions}.
 */
export function startProducer(opts: ProducerRunOptions): ProducerRun {
  const stats: ProducerStats = {
    sent: 0,
    acked: 0,
    failed: 0,
    bytes: 0,
    elapsedMs: 0,
    ready: false,
  };
  return { stats, done: run(opts, stats) };
}

async function run(opts: ProducerRunOptions, stats: ProducerStats): Promise<ProducerSummary> {
  const batchSize = opts.batchSize ?? 10_000;
  const batchBytes = opts.batchBytes ?? DEFAULT_BATCH_BYTES;
  const maxInFlight = Math.max(1, opts.maxInFlight ?? 1);
  const limit = opts.count ?? Infinity;
  const compression = compressionType(opts.compression);
  const { signal } = opts;

  const admin = opts.kafka.admin();
  const producer = createIdempotentProducer(opts.kafka);
  let topicInfo: { created: boolean; partitions: number };
  try {
    await admin.connect();
    try {
      topicInfo = await ensureTopic(admin, opts.topic, opts.partitions);
    } finally {
      await admin.disconnect();
    }
    await producer.connect();
  } catch (e) {
    await producer.disconnect().catch(() => {});
    throw kafkaError(e, opts.brokers);
  }

  stats.ready = true;
  const start = performance.now();
  const elapsed = () => performance.now() - start;
  const pending = new Set<Promise<void>>();
  let error: unknown;

  const send = (messages: OutRecord[], bytes: number) => {
    stats.sent += messages.length;
    const p = producer.send({ topic: opts.topic, messages, acks: -1, compression }).then(
      () => {
        stats.acked += messages.length;
        stats.bytes += bytes;
      },
      (e) => {
        stats.failed += messages.length;
        error ??= kafkaError(e, opts.brokers);
      },
    ).finally(() => pending.delete(p));
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
      const batch: OutRecord[] = [];
      let bytes = 0; // value bytes, for the stats
      let size = 0; // estimated encoded size, for the cap
      while (batch.length < n && size < batchBytes) {
        const r = opts.next();
        batch.push(r);
        const valueBytes = Buffer.byteLength(r.value);
        bytes += valueBytes;
        size += Buffer.byteLength(r.key) + valueBytes + RECORD_OVERHEAD;
      }
      // Bounded in-flight: wait for a slot before handing over the batch just built.
      while (pending.size >= maxInFlight) await Promise.race(pending);
      if (error !== undefined) {
        // The batch was built but never sent: not counted.
        break;
      }
      send(batch, bytes);
    }
    // Deliver what is in flight, even when stopped by a signal.
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

/** Parses a rate flag: records per second, a non-negative number (0 = unthrottled). */
export function parseRate(value: string, what: string): number {
  const n = Number(value.trim());
  if (value.trim() === "" || !Number.isFinite(n) || n < 0) {
    throw new ConfigError(
      `${what} has "${value}"; expected records per second ≥ 0 (0 = as fast as possible)`,
    );
  }
  return n;
}

/** Parses `--compression`. */
export function parseCompression(value: string, what: string): Compression {
  if (!(COMPRESSIONS as readonly string[]).includes(value)) {
    throw new ConfigError(`${what} has "${value}"; expected ${COMPRESSIONS.join(", ")}`);
  }
  return value as Compression;
}

/** The flags `produce` and `easy:produce` share, as given on the command line. */
export interface ProducerFlags {
  topic: string;
  partitions: string;
  compression: string;
  rate: string;
  count?: string | undefined;
  duration?: string | undefined;
}

/** Validates the shared producer flags into run options. */
export function producerFlags(
  v: ProducerFlags,
): Pick<
  ProducerRunOptions,
  "topic" | "partitions" | "compression" | "rate" | "count" | "durationMs"
> {
  return {
    topic: checkTopicName(v.topic, "--topic"),
    partitions: parseCount(v.partitions, "--partitions", 1),
    compression: parseCompression(v.compression, "--compression"),
    rate: parseRate(v.rate, "--rate"),
    ...(v.count !== undefined ? { count: parseCount(v.count, "--count") } : {}),
    ...(v.duration !== undefined ? { durationMs: parseDuration(v.duration, "--duration") } : {}),
  };
}

/** The one-line summary printed at the end of a run. */
export function summaryLine(s: ProducerSummary, noun: string): string {
  const secs = Math.max(s.elapsedMs, 1) / 1000;
  const parts = [
    `${s.stopped ? "stopped" : "done"}: acked ${formatCount(s.acked)} ${noun} to ${s.topic}`,
    `(sent ${formatCount(s.sent)}, failed ${formatCount(s.failed)})`,
    `${formatBytes(s.bytes)} in ${formatElapsed(s.elapsedMs)}`,
    `${formatCount(s.acked / secs)} ${noun}/s, ${formatBytes(s.bytes / secs)}/s`,
  ];
  return parts.join(", ").replace(", (", " (");
}

/**
 * Runs {@link startProducer} as a command-line task: live progress, SIGINT /
 * SIGTERM stop generating and deliver what is in flight (a second signal
 * exits at once), and the summary line on stdout. Throws the first send
 * failure after printing the summary.
 */
export async function produceInteractively(
  opts: Omit<ProducerRunOptions, "signal">,
  noun: string,
): Promise<ProducerSummary> {
  const controller = new AbortController();
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  const onSignal = () => {
    if (controller.signal.aborted) Deno.exit(130);
    controller.abort();
  };
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  const runHandle = startProducer({ ...opts, signal: controller.signal });
  const meter = new RateMeter();
  const { stats } = runHandle;
  const progress = new Progress({
    render: (ms) =>
      !stats.ready
        ? `${formatElapsed(ms)}  connecting to ${opts.brokers.join(",")}…`
        : `${formatElapsed(ms)}  sent ${formatCount(stats.sent)}  acked ${
          formatCount(stats.acked)
        }  ${formatCount(meter.update(stats.acked))} ${noun}/s`,
  });
  try {
    progress.start();
    const summary = await runHandle.done;
    progress.stop();
    console.log(summaryLine(summary, noun));
    if (summary.error !== undefined) throw summary.error;
    return summary;
  } finally {
    progress.stop();
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
  }
}
