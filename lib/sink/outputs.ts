/**
 * Where a batch goes: Parquet objects in an object store (S3), dead letters
 * to a Kafka topic, each retried with bounded backoff while the batch's
 * partition is still ours. The sink only sees the {@link ObjectStore} and
 * {@link DeadLetterWriter} interfaces, so tests can pass in-memory ones.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import type { Kafka, Producer } from "kafkajs";
import type { S3Client } from "@aws-sdk/client-s3";
import { sleep } from "../core/process.ts";
import { compressionType, withKafkaErrors } from "../kafka/client.ts";
import { describeS3Error, ensureBucket, putObject, s3Call } from "../lake/s3.ts";
import type { RecordHeaders } from "./batcher.ts";
import type { EncodedObject } from "./encode.ts";
import { chunksByBytes } from "./plan.ts";
import type { SinkStats } from "./metrics.ts";

const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5_000;
/** Dead-letter values over this size are cut when the broker refuses them whole. */
const DLQ_TRUNCATE_BYTES = 256 * 1024;
/** Bytes of keys and values per dead-letter request, well under the broker's 1 MB default. */
const DLQ_REQUEST_BYTES = 512 * 1024;

/** A record that goes to the dead-letter topic: where it was, why, and the original record. */
export interface DeadRecord {
  offset: bigint;
  reason: string;
  /** Bytes of the value. */
  bytes: number;
  raw: {
    key: Uint8Array | null;
    value: Uint8Array | null;
    headers: RecordHeaders;
    timestamp: string;
  };
}

/** How {@link retry} waits, reports and gives up. */
export interface RetryOptions {
  /** False once the partition changed hands: stop retrying (the new owner replays). */
  current: () => boolean;
  /** Keeps the group session alive between attempts; undefined outside a fetched batch. */
  heartbeat: (() => Promise<void>) | undefined;
  /** Called on each failure with the attempt number (from 1). */
  onFailure: (e: unknown, attempt: number) => void;
  /** Called once the call succeeded. */
  onSuccess?: () => void;
}

/**
 * Calls `fn` until it succeeds or `current()` turns false, waiting 250 ms,
 * doubling up to 5 s, and heartbeating between attempts.
 *
 * @example
 * ```ts
 * await retry(() => group.commit(0, 42n, null), {
 *   current: () => epoch === sinkEpoch,
 *   heartbeat,
 *   onFailure: warnEvery("Kafka commit", console.error),
 * });
 * ```
 */
export async function retry(fn: () => Promise<unknown>, o: RetryOptions): Promise<void> {
  let wait = RETRY_MIN_MS;
  for (let attempt = 1; o.current(); attempt++) {
    try {
      await fn();
      o.onSuccess?.();
      return;
    } catch (e) {
      o.onFailure(e, attempt);
      if (!o.current()) return;
      // Keep our group session alive while we wait, so the partition stays ours.
      if (o.heartbeat) await o.heartbeat();
      await sleep(wait);
      wait = Math.min(RETRY_MAX_MS, wait * 2);
    }
  }
}

/** A {@link RetryOptions.onFailure} that warns on the 1st, 10th, 20th… failure of `what`. */
export function warnEvery(what: string, log: (line: string) => void) {
  return (e: unknown, attempt: number): void => {
    if (attempt === 1 || attempt % 10 === 0) {
      log(`warning: ${what} failed (attempt ${attempt}): ${(e as Error).message}`);
    }
  };
}

/** Where Parquet objects are stored. */
export interface ObjectStore {
  /** Names the store in messages, e.g. `S3 at http://127.0.0.1:9000`. */
  readonly name: string;
  /** Makes sure objects can be stored (creates the bucket); fails with a UserError. */
  prepare(): Promise<void>;
  /** Stores one object under `key`, replacing any object there. */
  put(key: string, body: Uint8Array): Promise<void>;
  /** One sentence saying why a `put` failed. */
  describeError(e: unknown): string;
  /** Releases connections. */
  close(): void;
}

/** An {@link ObjectStore} on one S3 bucket. */
export class S3ObjectStore implements ObjectStore {
  readonly name: string;
  #s3: S3Client;
  #bucket: string;
  #endpoint: string;

  /** `endpoint` is only used in messages. */
  constructor(s3: S3Client, bucket: string, endpoint: string) {
    this.#s3 = s3;
    this.#bucket = bucket;
    this.#endpoint = endpoint;
    this.name = `S3 at ${endpoint}`;
  }

  /** Creates the bucket when missing. */
  async prepare(): Promise<void> {
    await s3Call(
      this.#endpoint,
      `Cannot prepare bucket "${this.#bucket}"`,
      () => ensureBucket(this.#s3, this.#bucket),
    );
  }

  /** Stores one object. */
  put(key: string, body: Uint8Array): Promise<void> {
    return putObject(this.#s3, this.#bucket, key, body);
  }

  /** Names the endpoint and the cause. */
  describeError(e: unknown): string {
    return describeS3Error(e, this.#endpoint);
  }

  /** Destroys the client. */
  close(): void {
    this.#s3.destroy();
  }
}

/** Settings of {@link ParquetOutput}. */
export interface ParquetOutputOptions {
  bucket: string;
  log: (line: string) => void;
  debug: ((line: string) => void) | undefined;
}

/**
 * Stores encoded Parquet objects, holding the batch and retrying while the
 * store is down or not answering (one warning when it goes, one line when it
 * is back).
 */
export class ParquetOutput {
  #store: ObjectStore;
  #opts: ParquetOutputOptions;
  #stats: SinkStats;
  #down = false;

  /** Counts files, bytes and retries into `stats`. */
  constructor(store: ObjectStore, opts: ParquetOutputOptions, stats: SinkStats) {
    this.#store = store;
    this.#opts = opts;
    this.#stats = stats;
  }

  /** Stores one object; false when the partition changed hands on the way. */
  async write(
    obj: EncodedObject,
    current: () => boolean,
    heartbeat: (() => Promise<void>) | undefined,
  ): Promise<boolean> {
    const { bucket, log } = this.#opts;
    const body = obj.body;
    await retry(() => this.#store.put(obj.key, body), {
      current,
      heartbeat,
      onSuccess: () => {
        if (!this.#down) return;
        this.#down = false;
        log(`${this.#store.name} is back; resuming`);
      },
      onFailure: (e) => {
        this.#stats.s3Retries++;
        if (this.#down) return;
        this.#down = true;
        log(`warning: ${this.#store.describeError(e)}; holding the batch and retrying`);
      },
    });
    if (!current()) return false;
    this.#stats.files++;
    this.#stats.bytes += body.byteLength;
    this.#opts.debug?.(
      `stored s3://${bucket}/${obj.key} rows=${obj.rows} bytes=${body.byteLength} offsets=${obj.firstOffset}..${obj.lastOffset}`,
    );
    return true;
  }
}

/** Where records that are not valid events go. */
export interface DeadLetterWriter {
  /** Connects; fails with a UserError. */
  connect(): Promise<void>;
  /** Sends the dead letters of one partition's batch (at least once). */
  write(partition: number, dead: DeadRecord[]): Promise<void>;
  /** Disconnects. */
  close(): Promise<void>;
}

/** Settings of {@link KafkaDeadLetters}. */
export interface KafkaDeadLettersOptions {
  brokers: string[];
  /** The source topic, named in the `dlq.source.topic` header. */
  topic: string;
  dlqTopic: string;
}

/** The dead-letter message of a record: original key, value and headers plus why and whence. */
function deadLetterMessage(r: DeadRecord, topic: string, partition: number, truncate: boolean) {
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
    value: value === null ? null : Buffer.from(cut ? value.subarray(0, DLQ_TRUNCATE_BYTES) : value),
    timestamp: r.raw.timestamp,
    headers,
  };
}

/** A {@link DeadLetterWriter} producing to a Kafka topic with an idempotent producer. */
export class KafkaDeadLetters implements DeadLetterWriter {
  #kafka: Kafka;
  #opts: KafkaDeadLettersOptions;
  #producer: Producer | undefined;

  /** The producer is created by `connect()`. */
  constructor(kafka: Kafka, opts: KafkaDeadLettersOptions) {
    this.#kafka = kafka;
    this.#opts = opts;
  }

  /** Creates and connects the producer. */
  async connect(): Promise<void> {
    const producer = this.#kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    this.#producer = producer;
    await withKafkaErrors(this.#opts.brokers, () => producer.connect());
  }

  /**
   * Sends in requests of at most DLQ_REQUEST_BYTES (the broker refuses larger
   * record batches). A value the broker refuses as too large is truncated
   * (header `dlq.value.truncated` gives its size).
   */
  async write(partition: number, dead: DeadRecord[]): Promise<void> {
    const { topic, dlqTopic } = this.#opts;
    const send = (chunk: DeadRecord[], truncate: boolean) =>
      this.#producer!.send({
        topic: dlqTopic,
        acks: -1,
        compression: compressionType("zstd"),
        messages: chunk.map((r) => deadLetterMessage(r, topic, partition, truncate)),
      });
    const size = (r: DeadRecord) => r.bytes + (r.raw.key?.byteLength ?? 0);
    for (const chunk of chunksByBytes(dead, size, DLQ_REQUEST_BYTES)) {
      try {
        await send(chunk, false);
      } catch (e) {
        const what = `${(e as { type?: string }).type} ${(e as Error).message}`;
        if (!/too large|MESSAGE_TOO_LARGE|RECORD_LIST_TOO_LARGE/i.test(what)) throw e;
        await send(chunk, true);
      }
    }
  }

  /** Disconnects the producer, if it was created. */
  async close(): Promise<void> {
    await this.#producer?.disconnect();
  }
}
