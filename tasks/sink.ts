/**
 * `deno task sink` — Kafka → Parquet on S3, exactly-once objects.
 *
 * @module
 */
import { parseCommand, runMain } from "../lib/core/cli.ts";
import { loadConfig } from "../lib/core/env.ts";
import { UserError } from "../lib/core/errors.ts";
import {
  checkBucketName,
  checkTopicName,
  parseBytes,
  parseCount,
  parseDuration,
} from "../lib/core/flags.ts";
import { defaultWorkers, runSinkTask } from "../lib/sink/run.ts";
import type { ParquetCompression } from "../lib/lake/parquet.ts";

const spec = {
  name: "sink",
  summary:
    "Consumes music events from Kafka and stores them as Parquet objects on S3, exactly once.",
  options: {
    topic: { type: "string", default: "music_events" },
    group: { type: "string", default: "music-sink" },
    bucket: { type: "string" },
    prefix: { type: "string", default: "music_events" },
    "max-records": { type: "string", default: "50000" },
    "max-bytes": { type: "string", default: "4MiB" },
    "max-age": { type: "string", default: "60s" },
    compression: { type: "string", default: "zstd" },
    "dlq-topic": { type: "string" },
    "until-idle": { type: "string" },
    "metrics-port": { type: "string" },
    partitions: { type: "string", default: "3" },
    "max-record-bytes": { type: "string", default: "1MiB" },
    workers: { type: "string", default: String(defaultWorkers()) },
    verbose: { type: "boolean", short: "v" },
  },
  help: {
    topic: "Kafka topic to consume",
    group: "consumer group (several sinks with one group share the partitions)",
    bucket: "S3 bucket [S3_BUCKET]; created when missing",
    prefix: "key prefix: s3://BUCKET/PREFIX/dt=YYYY-MM-DD/TOPIC+PARTITION+OFFSET.parquet",
    "max-records": "records per file at most (100 reproduces the seed)",
    "max-bytes": "cut a file once the buffered records reach this size",
    "max-age": "cut a file this long after its first record arrived, even on a quiet topic",
    compression: "Parquet compression: zstd, snappy or none",
    "dlq-topic": "dead-letter topic for records that are not valid events [TOPIC.dlq]",
    "until-idle": "exit 0 once everything is stored and nothing arrived for this long (e.g. 5s)",
    "metrics-port": "serve Prometheus metrics on http://127.0.0.1:PORT/metrics",
    partitions: "partitions when the sink has to create the topic",
    "max-record-bytes": "larger record values go to the dead-letter topic",
    workers: "threads encoding Parquet beside the consuming one (cores - 1, at least 1); 0 = none",
    verbose: "print one line per stored file",
  },
  epilog: "SIGINT/SIGTERM: stores and commits what is buffered, then exits 0.",
} as const;

runMain(async () => {
  const { values: v } = parseCommand(spec, Deno.args);
  const cfg = loadConfig();
  const compression = v.compression as ParquetCompression;
  if (!["zstd", "snappy", "none"].includes(compression)) {
    throw new UserError(`--compression has "${v.compression}"; expected zstd, snappy or none`);
  }
  const bucket = checkBucketName(v.bucket ?? cfg.s3.bucket, "--bucket");
  const metricsPort = v["metrics-port"] === undefined
    ? undefined
    : parseCount(v["metrics-port"], "--metrics-port", 1);
  if (metricsPort !== undefined && metricsPort > 65535) {
    throw new UserError(`--metrics-port has "${metricsPort}"; expected a port from 1 to 65535`);
  }
  const topic = checkTopicName(v.topic, "--topic");
  const dlqTopic = checkTopicName(v["dlq-topic"] ?? `${topic}.dlq`, "--dlq-topic");
  return await runSinkTask(cfg, {
    topic,
    group: v.group,
    bucket,
    prefix: v.prefix,
    limits: {
      maxRecords: parseCount(v["max-records"], "--max-records", 1),
      maxBytes: parseBytes(v["max-bytes"], "--max-bytes"),
      maxAgeMs: parseDuration(v["max-age"], "--max-age"),
    },
    compression,
    dlqTopic,
    partitions: parseCount(v.partitions, "--partitions", 1),
    untilIdleMs: v["until-idle"] === undefined
      ? undefined
      : parseDuration(v["until-idle"], "--until-idle"),
    maxRecordBytes: parseBytes(v["max-record-bytes"], "--max-record-bytes"),
    workers: parseCount(v.workers, "--workers", 0),
    verbose: v.verbose ?? false,
    metricsPort,
  });
});
