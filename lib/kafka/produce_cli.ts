/**
 * The producer as a command-line task: the flags `produce` and `easy:produce`
 * share, the live progress line, stopping on SIGINT / SIGTERM, and the
 * summary line.
 *
 * @module
 */
import { ConfigError, UserError } from "../core/errors.ts";
import { checkTopicName, parseCount, parseDuration } from "../core/flags.ts";
import { onStopSignals } from "../core/process.ts";
import { formatBytes, formatCount, formatElapsed, Progress, RateMeter } from "../core/progress.ts";
import { type Compression, COMPRESSIONS } from "./client.ts";
import {
  DeliveryTimeoutError,
  type ProducerRun,
  type ProducerRunOptions,
  type ProducerSummary,
  STALL_MS,
  startProducer,
} from "./producer.ts";

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
  "delivery-timeout": string;
}

/** The `--delivery-timeout` option both tasks declare, with its help text. */
export const DELIVERY_TIMEOUT_OPTION = {
  spec: { type: "string", default: "2m" },
  help: "how long to keep retrying while Kafka is unreachable mid-run, e.g. 30s, 10m",
} as const;

/** Validates the shared producer flags into run options. */
export function producerFlags(
  v: ProducerFlags,
): Pick<
  ProducerRunOptions,
  "topic" | "partitions" | "compression" | "rate" | "count" | "durationMs" | "deliveryTimeoutMs"
> {
  return {
    topic: checkTopicName(v.topic, "--topic"),
    partitions: parseCount(v.partitions, "--partitions", 1),
    compression: parseCompression(v.compression, "--compression"),
    rate: parseRate(v.rate, "--rate"),
    ...(v.count !== undefined ? { count: parseCount(v.count, "--count") } : {}),
    ...(v.duration !== undefined ? { durationMs: parseDuration(v.duration, "--duration") } : {}),
    deliveryTimeoutMs: parseDuration(v["delivery-timeout"], "--delivery-timeout"),
  };
}

/** The one-line summary printed at the end of a run. */
export function summaryLine(s: ProducerSummary, noun: string): string {
  const secs = Math.max(s.elapsedMs, 1) / 1000;
  const parts = [
    `${s.error !== undefined ? "failed" : s.stopped ? "stopped" : "done"}: acked ${
      formatCount(s.acked)
    } ${noun} to ${s.topic}`,
    `(sent ${formatCount(s.sent)}, failed ${formatCount(s.failed)})`,
    `${formatBytes(s.bytes)} in ${formatElapsed(s.elapsedMs)}`,
    `${formatCount(s.acked / secs)} ${noun}/s, ${formatBytes(s.bytes / secs)}/s`,
  ];
  return parts.join(", ").replace(", (", " (");
}

/**
 * The error a failed run ends with: a delivery timeout gets the counts the
 * user needs (how many were acked, how many not), on the same line. Those not
 * delivered were not acked; one given up mid-send may still be stored.
 */
export function runFailure(s: ProducerSummary, noun: string): unknown {
  if (!(s.error instanceof DeliveryTimeoutError)) return s.error;
  return new UserError(
    `${s.error.message}: ${formatCount(s.acked)} ${noun} acked, ${
      formatCount(s.failed)
    } not delivered`,
  );
}

/**
 * The live progress line: counts and rate, or `waiting for Kafka…` while a
 * share of a batch is being retried or nothing was acked for {@link STALL_MS}.
 */
export function progressRenderer(stats: ProducerRun["stats"], brokers: string[], noun: string) {
  const meter = new RateMeter();
  let lastAcked = -1;
  let lastAckAt = 0;
  return (ms: number): string => {
    if (!stats.ready) return `${formatElapsed(ms)}  connecting to ${brokers.join(",")}…`;
    if (stats.acked !== lastAcked || stats.sent === stats.acked) {
      [lastAcked, lastAckAt] = [stats.acked, ms];
    }
    const counts = `${formatElapsed(ms)}  sent ${formatCount(stats.sent)}  acked ${
      formatCount(stats.acked)
    }`;
    if (stats.waiting) return `${counts}  waiting for Kafka… (${stats.waitReason})`;
    if (ms - lastAckAt >= STALL_MS) return `${counts}  waiting for Kafka…`;
    return `${counts}  ${formatCount(meter.update(stats.acked))} ${noun}/s`;
  };
}

/**
 * Runs {@link startProducer} as a command-line task: live progress, SIGINT /
 * SIGTERM stop generating and deliver what is in flight (a second signal
 * exits at once), and the summary line on stdout. Throws the first send
 * failure after printing the summary.
 *
 * @example
 * ```ts
 * const people = new PersonGenerator();
 * await produceInteractively({
 *   kafka, brokers, ...producerFlags(values),
 *   next: () => {
 *     const p = people.next();
 *     return { key: p.uuid, value: JSON.stringify(p) };
 *   },
 * }, "records");
 * ```
 */
export async function produceInteractively(
  opts: Omit<ProducerRunOptions, "signal">,
  noun: string,
): Promise<ProducerSummary> {
  const controller = new AbortController();
  // The first signal stops generating; a second one means "quit now".
  const dispose = onStopSignals((count) => {
    if (count > 1) Deno.exit(130);
    controller.abort();
  });
  const runHandle = startProducer({ ...opts, signal: controller.signal });
  const progress = new Progress({
    render: progressRenderer(runHandle.stats, opts.brokers, noun),
  });
  try {
    progress.start();
    const summary = await runHandle.done;
    progress.stop();
    console.log(summaryLine(summary, noun));
    if (summary.error !== undefined) throw runFailure(summary, noun);
    return summary;
  } finally {
    progress.stop();
    dispose();
  }
}
