/**
 * `deno task ui` — the pipeline console in the browser on
 * http://127.0.0.1:8080: overview with live rates and lag, topics and their
 * messages, consumer groups, dead letters, the lake, analytics with a
 * read-only SQL box, ClickHouse. Runs until Ctrl-C.
 *
 * @module
 */
import { parseCommand, runMain } from "../lib/core/cli.ts";
import { loadConfig } from "../lib/core/env.ts";
import { UserError } from "../lib/core/errors.ts";
import { checkBucketName, checkTopicName, parseCount } from "../lib/core/flags.ts";
import { resolveIngestOptions } from "../lib/clickhouse/ingest.ts";
import { isLoopback, newToken } from "../lib/ops/console/guard.ts";
import { startConsole } from "../lib/ops/console/server.ts";
import { defaultPaths } from "../lib/stack/stack.ts";

const spec = {
  name: "ui",
  summary:
    "The pipeline console in the browser: services, topics and messages, consumer-group lag, dead letters, the lake, analytics, ClickHouse.",
  options: {
    port: { type: "string", default: "8080" },
    host: { type: "string", default: "127.0.0.1" },
    topic: { type: "string", default: "music_events" },
    "dlq-topic": { type: "string" },
    group: { type: "string", default: "music-sink" },
    bucket: { type: "string" },
    prefix: { type: "string", default: "music_events" },
    "clickhouse-prefix": { type: "string" },
  },
  help: {
    port: "Port to listen on (0: any free port)",
    host: "Address to listen on; anything but loopback lets other machines read the pipeline",
    topic: "The music events topic drawn in the pipeline",
    "dlq-topic": "Dead-letter topic [TOPIC.dlq]",
    group: "The sink's consumer group",
    bucket: "S3 bucket of the lake [S3_BUCKET]",
    prefix: "Key prefix of the lake in the bucket",
    "clickhouse-prefix": "Prefix of the ClickHouse table names, as given to clickhouse:init",
  },
  epilog: [
    "Open the URL printed at start: it carries a token, new each run, that the SQL box and message",
    "browsing need. Requests naming another host (DNS rebinding) or coming from another site are",
    "refused. Ctrl-C stops the console.",
  ].join("\n"),
} as const;

async function main(): Promise<number> {
  const { values: v } = parseCommand(spec, Deno.args);
  const port = parseCount(v.port, "--port");
  if (port > 65535) throw new UserError(`--port has "${v.port}"; expected 0-65535`);
  if (!/^[A-Za-z0-9.:-]+$/.test(v.host)) {
    throw new UserError(`--host has "${v.host}"; expected an address`);
  }
  const cfg = loadConfig();
  const ch = resolveIngestOptions({
    brokers: cfg.kafkaBrokers,
    prefix: v["clickhouse-prefix"] ?? "",
  });
  const token = newToken();
  const c = await startConsole({
    cfg,
    paths: defaultPaths(),
    host: v.host,
    port,
    topic: checkTopicName(v.topic, "--topic"),
    dlqTopic: checkTopicName(v["dlq-topic"] ?? `${v.topic}.dlq`, "--dlq-topic"),
    group: v.group,
    bucket: checkBucketName(v.bucket ?? cfg.s3.bucket, "--bucket"),
    prefix: v.prefix,
    clickhousePrefix: ch.prefix,
    token,
  });
  console.log(`Pipeline console: ${c.url}/?token=${token}`);
  console.log(`Token (SQL box, message browsing): ${token}`);
  if (!isLoopback(v.host)) {
    console.log(`warning: listening on ${v.host}: anyone who can reach it can see the pipeline`);
  }
  console.log("Ctrl-C stops it.");
  const stop = Promise.withResolvers<void>();
  const onSignal = () => stop.resolve();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  await stop.promise;
  await c.close();
  return 0;
}

if (import.meta.main) await runMain(main);
