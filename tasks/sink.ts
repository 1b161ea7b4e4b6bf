/**
 * `deno task sink` — Kafka → Parquet on S3, exactly-once objects.
 *
 * @module
 */
import {
  checkBucketName,
  checkTopicName,
  loadConfig,
  parseBytes,
  parseCount,
  parseDuration,
} from "../lib/config.ts";
import { parseCommand, runMain, UserError } from "../lib/cli.ts";
import { metricsText, Sink } from "../lib/sink.ts";
import type { ParquetCompression } from "../lib/parquet.ts";
import { formatBytes, formatCount, formatElapsed, Progress, RateMeter } from "../lib/progress.ts";

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
    "max-bytes": { type: "string", default: "64MiB" },
    "max-age": { type: "string", default: "60s" },
    compression: { type: "string", default: "zstd" },
    "dlq-topic": { type: "string" },
    "until-idle": { type: "string" },
    "metrics-port": { type: "string" },
    partitions: { type: "string", default: "3" },
    "max-record-bytes": { type: "string", default: "1MiB" },
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
  // Messages go above the live progress line.
  let progress: Progress | undefined;
  const log = (line: string) => {
    progress?.stop();
    console.error(line);
    progress?.start();
  };
  const topic = checkTopicName(v.topic, "--topic");
  const dlqTopic = checkTopicName(v["dlq-topic"] ?? `${topic}.dlq`, "--dlq-topic");
  const sink = new Sink(cfg, {
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
    log,
    debug: v.verbose ? log : undefined,
  });

  let server: Deno.HttpServer | undefined;
  if (metricsPort !== undefined) {
    try {
      server = Deno.serve(
        { hostname: "127.0.0.1", port: metricsPort, onListen: () => {} },
        (req) =>
          new URL(req.url).pathname === "/metrics"
            ? new Response(metricsText(sink.stats, v.topic), {
              headers: { "content-type": "text/plain; version=0.0.4" },
            })
            : new Response("see /metrics\n", { status: 404 }),
      );
    } catch (e) {
      throw new UserError(
        `Cannot serve metrics on 127.0.0.1:${metricsPort}: ${(e as Error).message}`,
      );
    }
  }

  let stoppingSince = 0;
  const onSignal = () => {
    // `deno task` forwards a group-wide signal, so one SIGTERM can arrive twice.
    if (stoppingSince && Date.now() - stoppingSince < 1000) return;
    if (stoppingSince) {
      console.error("stopping now; the unstored batch is not committed and will be replayed");
      Deno.exit(130);
    }
    stoppingSince = Date.now();
    log("stopping: storing and committing what is buffered… (again to quit at once)");
    sink.stop();
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  const removeSignals = () => {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  };

  try {
    await sink.start();
  } catch (e) {
    await sink.stop();
    await server?.shutdown();
    removeSignals();
    throw e;
  }
  log(
    `sink: ${v.topic} → s3://${bucket}/${v.prefix}/ (group ${v.group})${
      metricsPort ? `, metrics on http://127.0.0.1:${metricsPort}/metrics` : ""
    }`,
  );
  const meter = new RateMeter();
  const s = sink.stats;
  progress = new Progress({
    intervalMs: Deno.stderr.isTerminal() ? 500 : 10_000,
    // Elapsed from the sink's start: log lines restart the progress timer.
    render: () =>
      `${formatElapsed(Date.now() - s.startedAt)}  stored ${formatCount(s.records)} records (${
        formatCount(meter.update(s.records))
      }/s) in ${formatCount(s.files)} files, ${formatBytes(s.bytes)}; dead letters ${
        formatCount(s.deadLetters)
      }; lag ${formatCount([...s.lag.values()].reduce((a, b) => a + b, 0))}`,
  }).start();

  await sink.done;
  progress.stop();
  progress = undefined;
  await server?.shutdown();
  removeSignals();
  const secs = (Date.now() - s.startedAt) / 1000;
  console.log(
    `sink done: ${s.records} records in ${s.files} files (${
      (s.bytes / 1e6).toFixed(1)
    } MB), ${s.deadLetters} dead letters, ${secs.toFixed(1)} s`,
  );
  return 0;
});
