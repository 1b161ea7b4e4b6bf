/**
 * `deno task demo` — the whole pipeline in one command on a fresh machine:
 * stack up, ClickHouse tables, a dataset, the sink until idle, the analytics
 * and ClickHouse's figures side by side (they must agree), the HTML report.
 *
 * @module
 */
import { isAbsolute, resolve } from "node:path";
import { parseCommand, runMain } from "../lib/core/cli.ts";
import { loadConfig, stackChoice, userCwd } from "../lib/core/env.ts";
import { checkBucketName, parseCount, parseDuration } from "../lib/core/flags.ts";
import { resolveIngestOptions } from "../lib/clickhouse/ingest.ts";
import { s3Root } from "../lib/lake/keys.ts";
import { chooseStack } from "../lib/stack/harness.ts";
import { defaultPaths } from "../lib/stack/stack.ts";
import { runDemo } from "../lib/ops/demo.ts";
import { DEMO_DEFAULTS } from "../lib/ops/demo_options.ts";
import { lineWriter } from "../lib/ops/lines.ts";

const spec = {
  name: "demo",
  summary:
    "The whole pipeline in one command: stack up, produce, sink, DuckDB analytics and ClickHouse side by side, HTML report.",
  options: {
    events: { type: "string", default: String(DEMO_DEFAULTS.events) },
    backfill: { type: "string", default: DEMO_DEFAULTS.backfill },
    topic: { type: "string", default: DEMO_DEFAULTS.topic },
    group: { type: "string", default: DEMO_DEFAULTS.group },
    bucket: { type: "string" },
    prefix: { type: "string", default: DEMO_DEFAULTS.prefix },
    "clickhouse-prefix": { type: "string" },
    html: { type: "string", default: DEMO_DEFAULTS.html },
    wait: { type: "string", default: "60s" },
    "until-idle": { type: "string", default: "3s" },
    partitions: { type: "string", default: String(DEMO_DEFAULTS.partitions) },
    timeout: { type: "string", default: "180" },
  },
  help: {
    events: "Events to produce (0: none, just show what is there)",
    backfill: "Spread the events over this past window with a daily rhythm (0: all now)",
    topic: "Kafka topic of the events",
    group: "The sink's consumer group",
    bucket: "S3 bucket of the lake [S3_BUCKET]",
    prefix: "Key prefix of the lake in the bucket",
    "clickhouse-prefix":
      "Prefix of the ClickHouse tables (none by default); when set, ClickHouse also gets its own consumer groups",
    html: "Where to write the HTML report",
    wait: "How long ClickHouse may take to catch up with the lake",
    "until-idle": "The sink stops once everything is stored and nothing arrived for this long",
    partitions: "Partitions when the topic has to be created",
    timeout: "Seconds to wait for each service when starting the stack",
  },
  epilog: [
    "The figures cover the whole topic: on a re-run the lake and ClickHouse both count every event",
    "produced so far, and must still agree. Exit 0 when they agree, 1 when they do not.",
    "STACK=native (default) starts the native stack (services already answering are used),",
    "STACK=docker runs docker compose, STACK=external starts nothing.",
  ].join("\n"),
} as const;

async function main(): Promise<number> {
  const { values: v } = parseCommand(spec, Deno.args);
  const cfg = loadConfig();
  const stack = chooseStack((k) => k === "STACK" ? stackChoice() : undefined);
  const bucket = checkBucketName(v.bucket ?? cfg.s3.bucket, "--bucket");
  s3Root(bucket, v.prefix); // validates --prefix before anything starts
  const clickhousePrefix = resolveIngestOptions({
    brokers: cfg.kafkaBrokers,
    prefix: v["clickhouse-prefix"] ?? "",
    musicTopic: v.topic,
  }).prefix;
  // `deno task` runs in the project root; a relative --html is meant from where the user is.
  const html = isAbsolute(v.html) ? v.html : resolve(userCwd(), v.html);
  return await runDemo({
    cfg,
    paths: defaultPaths(),
    stack,
    events: parseCount(v.events, "--events"),
    backfillMs: parseDuration(v.backfill, "--backfill"),
    topic: v.topic,
    partitions: parseCount(v.partitions, "--partitions", 1),
    group: v.group,
    bucket,
    prefix: v.prefix,
    clickhousePrefix,
    html,
    waitMs: parseDuration(v.wait, "--wait"),
    idleMs: parseDuration(v["until-idle"], "--until-idle"),
    stackTimeoutSec: parseCount(v.timeout, "--timeout", 1),
    out: lineWriter(Deno.stdout),
    err: lineWriter(Deno.stderr),
  });
}

if (import.meta.main) await runMain(main);
