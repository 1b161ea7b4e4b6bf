/**
 * The kafkajs client every task uses — quiet logging, bounded connection
 * retries, zstd support — and the mapping of connection failures and broker
 * refusals to one clear user error.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import process from "node:process";
import { zstdCompressSync, zstdDecompressSync } from "node:zlib";
import { CompressionCodecs, CompressionTypes, Kafka, type KafkaConfig, logLevel } from "kafkajs";
import { kafkajsDebug } from "../core/env.ts";
import { UserError } from "../core/errors.ts";

/** Compression of produced record batches. */
export type Compression = "zstd" | "gzip" | "none";

/** Compression names accepted on the command line. */
export const COMPRESSIONS: readonly Compression[] = ["zstd", "gzip", "none"];

/** kafkajs compression type for a {@link Compression} name. */
export function compressionType(c: Compression): CompressionTypes {
  registerZstd();
  return { zstd: CompressionTypes.ZSTD, gzip: CompressionTypes.GZIP, none: CompressionTypes.None }[
    c
  ];
}

let zstdRegistered = false;

/**
 * Registers a zstd codec (node:zlib) in kafkajs, which ships only gzip. Needed
 * both to produce zstd batches and to consume them (e.g. from Java clients).
 * Idempotent; {@link createKafka} calls it.
 */
export function registerZstd(): void {
  if (zstdRegistered) return;
  zstdRegistered = true;
  silenceNegativeTimeoutWarning();
  const codec = {
    // kafkajs hands an Encoder (with .buffer) to compress, a Buffer to decompress.
    compress: (encoder: { buffer: Buffer }) =>
      Promise.resolve(Buffer.from(zstdCompressSync(encoder.buffer))),
    decompress: (buffer: Buffer) => Promise.resolve(Buffer.from(zstdDecompressSync(buffer))),
  };
  (CompressionCodecs as Record<number, () => unknown>)[CompressionTypes.ZSTD] = () => codec;
}

const LEVEL_NAMES: Record<number, string> = {
  [logLevel.ERROR]: "error",
  [logLevel.WARN]: "warn",
  [logLevel.INFO]: "info",
  [logLevel.DEBUG]: "debug",
};

/**
 * kafkajs computes `throttledUntil - Date.now()` timeouts that can be negative;
 * newer Node/Deno print a TimeoutNegativeWarning for them (harmless: they fire
 * at once). Drop only that warning so task output stays clean.
 */
function silenceNegativeTimeoutWarning(): void {
  const orig = process.emitWarning;
  const patched = function (this: unknown, warning: unknown, ...rest: unknown[]) {
    const type = typeof warning === "object" && warning !== null
      ? (warning as { name?: string }).name
      : typeof rest[0] === "string"
      ? rest[0]
      : (rest[0] as { type?: string } | undefined)?.type;
    if (type === "TimeoutNegativeWarning") return;
    return (orig as (...a: unknown[]) => void).call(process, warning, ...rest);
  };
  process.emitWarning = patched as typeof process.emitWarning;
}

/** Options of {@link createKafka}. */
export interface KafkaClientOptions {
  /** Bootstrap servers as `host:port` (from `loadConfig().kafkaBrokers`). */
  brokers: string[];
  /** Client id shown in broker logs [music-pipeline]. */
  clientId?: string;
  /**
   * Where kafkajs log lines go. By default they are dropped: the tasks report
   * what matters themselves. Set `KAFKAJS_DEBUG=1` to print them to stderr.
   */
  log?: (line: string) => void;
  /** One short attempt per request, for health checks [false]. */
  probe?: boolean;
}

/**
 * How long connecting may take before we give up: each attempt waits at most
 * `connectionTimeout`, and 5 retries with backoff capped at 2 s add ~6 s, so an
 * unreachable broker fails in ~10 s instead of hanging.
 */
const CONNECT: Pick<KafkaConfig, "connectionTimeout" | "retry" | "requestTimeout"> = {
  connectionTimeout: 3000,
  requestTimeout: 30_000,
  retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 2000 },
};

/**
 * Creates a kafkajs client: quiet logging, bounded connection retries, zstd
 * registered. Connecting producers/consumers/admins made from it fails within
 * ~10 s when no broker answers; wrap calls with {@link withKafkaErrors} to turn
 * that into a one-line user error.
 *
 * @example
 * ```ts
 * const { kafkaBrokers } = loadConfig();
 * const admin = createKafka({ brokers: kafkaBrokers }).admin();
 * await withKafkaErrors(kafkaBrokers, () => admin.connect());
 * ```
 */
export function createKafka(opts: KafkaClientOptions): Kafka {
  registerZstd();
  const debug = kafkajsDebug();
  const log = opts.log ?? (debug ? (l: string) => console.error(l) : undefined);
  return new Kafka({
    clientId: opts.clientId ?? "music-pipeline",
    brokers: opts.brokers,
    ...(opts.probe
      ? { connectionTimeout: 1500, requestTimeout: 3000, retry: { retries: 0 } }
      : CONNECT),
    logLevel: log ? (debug ? logLevel.DEBUG : logLevel.WARN) : logLevel.NOTHING,
    logCreator: () => ({ namespace, level, log: entry }) => {
      if (!log) return;
      const { message, ...extra } = entry;
      log(
        `[kafkajs ${LEVEL_NAMES[level] ?? level} ${namespace}] ${message} ${JSON.stringify(extra)}`,
      );
    },
  });
}

interface ErrorLike {
  message?: string;
  code?: string | number;
  cause?: unknown;
  originalError?: unknown;
  retriable?: boolean;
  name?: string;
  /** kafkajs protocol error type, e.g. INVALID_TOPIC_EXCEPTION. */
  type?: string;
  /** Set on per-topic errors such as KafkaJSCreateTopicError. */
  topic?: string;
  /** The members of a KafkaJSAggregateError. */
  errors?: unknown[];
}

/** The chain of an error and its causes (kafkajs nests them in `originalError`). */
function errorChain(e: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  let cur: unknown = e;
  while (cur && typeof cur === "object" && out.length < 10) {
    out.push(cur as ErrorLike);
    const c = cur as ErrorLike;
    cur = c.originalError ?? c.cause;
  }
  return out;
}

/**
 * If `e` is a failure to reach Kafka, returns the reason in plain words
 * ("connection refused", "connection timed out", "host not found", …); else undefined.
 */
export function connectionFailure(e: unknown): string | undefined {
  for (const c of errorChain(e)) {
    const text = `${c.code ?? ""} ${c.message ?? ""}`;
    if (/ECONNREFUSED|Connection refused/i.test(text)) return "connection refused";
    if (/ENOTFOUND|EAI_AGAIN|getaddrinfo|failed to lookup address/i.test(text)) {
      return "host not found";
    }
    if (/ETIMEDOUT|Connection timeout/i.test(text)) return "connection timed out";
    if (/ECONNRESET|EPIPE|Connection closed|Closed connection/i.test(text)) {
      return "connection closed before the broker answered";
    }
    if (/ENETUNREACH|EHOSTUNREACH/i.test(text)) return "network unreachable";
  }
  return undefined;
}

/**
 * If `e` is (or wraps, or aggregates) a non-retriable kafkajs protocol error —
 * the broker refused the request for good, e.g. INVALID_TOPIC_EXCEPTION,
 * TOPIC_AUTHORIZATION_FAILED, POLICY_VIOLATION, MESSAGE_TOO_LARGE — returns
 * what it said on one line; else undefined.
 */
export function brokerRefusal(e: unknown): string | undefined {
  const found: string[] = [];
  const visit = (err: unknown, depth: number) => {
    if (depth > 3) return;
    for (const c of errorChain(err)) {
      if (typeof c.type === "string" && c.retriable === false) {
        const topic = typeof c.topic === "string" ? ` for topic "${c.topic}"` : "";
        found.push(`${c.message ?? "request refused"} (${c.type}${topic})`);
        return;
      }
      // KafkaJSAggregateError, e.g. from createTopics: one error per topic.
      if (Array.isArray(c.errors)) { for (const m of c.errors) visit(m, depth + 1); }
    }
  };
  visit(e, 0);
  return found.length > 0 ? [...new Set(found)].join("; ") : undefined;
}

/** kafkajs errors that mean "not now" rather than "never", whatever their `retriable` flag. */
const TRANSIENT_NAMES = new Set([
  "KafkaJSConnectionError",
  "KafkaJSConnectionClosedError",
  "KafkaJSRequestTimeoutError",
  "KafkaJSMetadataNotLoaded",
  "KafkaJSTopicMetadataNotLoaded",
  "KafkaJSBrokerNotFound",
  "KafkaJSNoBrokerAvailableError",
  "KafkaJSLockTimeout",
]);

/**
 * If `e` is a failure that may pass once Kafka is back or its leaders have
 * moved — no connection, a request timeout, a retriable protocol error such as
 * LEADER_NOT_AVAILABLE, or kafkajs giving up its own retries on one of these —
 * returns the reason in a few words; else (a broker refusal, a bug) undefined.
 * kafkajs reports a failed reconnect as a non-retriable error wrapping the
 * connection error, so the whole cause chain is read, not the outer flag.
 */
export function transientFailure(e: unknown): string | undefined {
  if (brokerRefusal(e) !== undefined) return undefined;
  const why = connectionFailure(e);
  if (why) return why;
  for (const c of errorChain(e)) {
    if (c.name === "KafkaJSRequestTimeoutError") return "request timed out";
    if (typeof c.type === "string" && c.retriable === true) return c.type;
    if (TRANSIENT_NAMES.has(c.name ?? "")) return c.message ?? c.name;
  }
  return undefined;
}

/**
 * Maps a kafkajs error to a one-line {@link UserError}:
 * `Cannot connect to Kafka at 127.0.0.1:9092: connection refused` for a
 * connection failure, `Kafka refused: <what the broker said> (<TYPE>)` for a
 * non-retriable protocol error (see {@link brokerRefusal}); returns other
 * errors unchanged.
 */
export function kafkaError(e: unknown, brokers: string[]): unknown {
  const why = connectionFailure(e);
  if (why) return new UserError(`Cannot connect to Kafka at ${brokers.join(",")}: ${why}`);
  const refused = brokerRefusal(e);
  if (refused) return new UserError(`Kafka refused: ${refused}`);
  return e;
}

/** Runs `fn`, rethrowing connection failures and broker refusals as a clear {@link UserError}. */
export async function withKafkaErrors<T>(brokers: string[], fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw kafkaError(e, brokers);
  }
}
