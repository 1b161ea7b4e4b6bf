/**
 * `deno task status` — services, topics, consumer-group lag, the dead-letter
 * topic, the lake and ClickHouse at a glance; `--watch` refreshes,
 * `--format json` is for scripts. Exit 0 when every service is up.
 *
 * @module
 */
import { parseCommand, runMain } from "../lib/core/cli.ts";
import { loadConfig } from "../lib/core/env.ts";
import { UserError } from "../lib/core/errors.ts";
import { checkBucketName, optionalValue, parseDuration } from "../lib/core/flags.ts";
import { INGEST_DEFAULTS, resolveIngestOptions } from "../lib/clickhouse/ingest.ts";
import { defaultPaths } from "../lib/stack/stack.ts";
import type { StatusOptions } from "../lib/ops/status.ts";
import { isWatchPeriod, showStatus, WATCH_DEFAULT } from "../lib/ops/status_watch.ts";

const spec = {
  name: "status",
  summary:
    "Shows the pipeline at a glance: services, topics, consumer-group lag, dead letters, the lake, ClickHouse.",
  options: {
    topic: { type: "string", default: "music_events" },
    "easy-topic": { type: "string", default: INGEST_DEFAULTS.easyTopic },
    "dlq-topic": { type: "string" },
    all: { type: "boolean" },
    group: { type: "string", default: "music-sink" },
    bucket: { type: "string" },
    prefix: { type: "string", default: "music_events" },
    "clickhouse-prefix": { type: "string" },
    format: { type: "string", default: "text" },
    watch: { type: "string" },
  },
  help: {
    topic: "The music events topic",
    "easy-topic": "The person records topic",
    "dlq-topic": "Dead-letter topic [TOPIC.dlq]",
    all: "Show every non-internal topic instead of the three above",
    group: "The sink's consumer group (always listed; groups reading the topics shown are too)",
    bucket: "S3 bucket of the lake [S3_BUCKET]",
    prefix: "Key prefix of the lake in the bucket",
    "clickhouse-prefix":
      "Prefix of the ClickHouse table names, as given to clickhouse:init (none by default); its groups are listed",
    format: "Output: text or json",
    watch: `Refresh every SECONDS [${WATCH_DEFAULT}] until Ctrl-C (--watch or --watch=SECONDS)`,
  },
  epilog: [
    "Exit code: 0 when Kafka, S3 and ClickHouse all answer, 1 otherwise. A service that is down",
    "is shown as DOWN and the sections that need it as unavailable.",
    "Lag: records a group has not committed yet (end offset − committed offset, per partition).",
  ].join("\n"),
} as const;

async function main(): Promise<number> {
  const args = optionalValue(Deno.args, "--watch", isWatchPeriod, WATCH_DEFAULT);
  const { values: v } = parseCommand(spec, args);
  if (v.format !== "text" && v.format !== "json") {
    throw new UserError(`--format has "${v.format}"; expected text or json`);
  }
  const watchMs = v.watch === undefined ? undefined : parseDuration(v.watch, "--watch");
  if (watchMs !== undefined && watchMs < 200) throw new UserError("--watch must be at least 0.2 s");
  const cfg = loadConfig();
  // ClickHouse's groups follow its table prefix, as clickhouse:init and the demo name them.
  const ch = resolveIngestOptions({
    brokers: cfg.kafkaBrokers,
    prefix: v["clickhouse-prefix"] ?? "",
  });
  const opts: StatusOptions = {
    cfg,
    paths: defaultPaths(),
    topics: v.all ? undefined : [v.topic, v["easy-topic"]],
    groups: [v.group, ch.musicGroup, ch.easyGroup],
    dlqTopic: v["dlq-topic"] ?? `${v.topic}.dlq`,
    bucket: checkBucketName(v.bucket ?? cfg.s3.bucket, "--bucket"),
    prefix: v.prefix,
    clickhousePrefix: ch.prefix,
  };
  return await showStatus(opts, { format: v.format, watchMs });
}

if (import.meta.main) await runMain(main);
