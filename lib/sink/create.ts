/**
 * Builds a sink on the real services: a kafkajs consumer group and producer,
 * and an S3 client, from the connection settings.
 *
 * @module
 */
import type { Config } from "../core/env.ts";
import { createKafka } from "../kafka/client.ts";
import { createS3Client } from "../lake/s3.ts";
import { inlineEncoder, WorkerEncoders } from "./encoders.ts";
import { KafkaInput } from "./input.ts";
import { KafkaDeadLetters, S3ObjectStore } from "./outputs.ts";
import { SinkCore, type SinkOptions, type SinkParts } from "./sink.ts";

/** Options of a sink on Kafka and S3. */
export interface KafkaS3SinkOptions extends SinkOptions {
  /** Threads that encode Parquet beside the consuming one (0: encode in-thread). */
  workers: number;
}

/** The kafkajs consumer group, S3 store, Kafka dead-letter writer and encode workers for `opts`. */
export function kafkaS3Parts(cfg: Config, opts: KafkaS3SinkOptions): SinkParts {
  const brokers = cfg.kafkaBrokers;
  const kafka = createKafka({ brokers, clientId: "music-sink" });
  // Uploads must end well within the group session (15 s) so a stalled one cannot outlive our ownership.
  const s3 = createS3Client(cfg.s3, { timeoutMs: 10_000 });
  return {
    group: new KafkaInput(kafka, {
      brokers,
      topic: opts.topic,
      group: opts.group,
      topics: [
        { topic: opts.topic, partitions: opts.partitions },
        { topic: opts.dlqTopic, partitions: 1 },
      ],
    }),
    store: new S3ObjectStore(s3, opts.bucket, cfg.s3.endpoint),
    deadLetters: new KafkaDeadLetters(kafka, {
      brokers,
      topic: opts.topic,
      dlqTopic: opts.dlqTopic,
    }),
    encoder: opts.workers > 0 ? new WorkerEncoders(opts.workers, opts) : inlineEncoder(opts),
  };
}

/** A sink on Kafka and S3 (`new Sink(cfg, opts)`); `stop()` flushes, commits and leaves the group. */
export class Sink extends SinkCore {
  /** Creates the clients; nothing connects before `start()`. */
  constructor(cfg: Config, opts: KafkaS3SinkOptions) {
    super(kafkaS3Parts(cfg, opts), opts);
  }
}

/**
 * Creates a sink on Kafka and S3.
 *
 * @example
 * ```ts
 * const sink = createSink(loadConfig(), options);
 * await sink.start();
 * await sink.done;
 * ```
 */
export function createSink(cfg: Config, opts: KafkaS3SinkOptions): Sink {
  return new Sink(cfg, opts);
}
