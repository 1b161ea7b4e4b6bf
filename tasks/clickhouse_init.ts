/**
 * `deno task clickhouse:init` — creates the Kafka-engine tables, materialized
 * views and MergeTree tables for both topics (idempotent; `--drop` recreates).
 *
 * @module
 */
import { parseCommand, runMain } from "../lib/core/cli.ts";
import { loadConfig } from "../lib/core/env.ts";
import { parseHostPort } from "../lib/core/flags.ts";
import { ClickHouseClient } from "../lib/clickhouse/client.ts";
import { describeInit, INGEST_DEFAULTS, initClickHouse } from "../lib/clickhouse/ingest.ts";

const spec = {
  name: "clickhouse:init",
  summary: "Create the ClickHouse Kafka-engine tables, views and MergeTree tables (idempotent)",
  options: {
    drop: { type: "boolean" },
    brokers: { type: "string" },
    "music-topic": { type: "string", default: INGEST_DEFAULTS.musicTopic },
    "easy-topic": { type: "string", default: INGEST_DEFAULTS.easyTopic },
    "music-group": { type: "string" },
    "easy-group": { type: "string" },
    prefix: { type: "string" },
  },
  help: {
    drop: "Drop the tables and views first (their data too), then create them",
    brokers: "Kafka brokers as ClickHouse reaches them [KAFKA_BROKERS]",
    "music-topic": "Topic of the music events",
    "easy-topic": "Topic of the person records",
    "music-group": "ClickHouse's consumer group for music events [from --prefix, see below]",
    "easy-group": "ClickHouse's consumer group for person records [from --prefix, see below]",
    prefix: "Prefix for every table and view name (none by default)",
  },
  epilog: [
    `Default groups: ${INGEST_DEFAULTS.musicGroup} and ${INGEST_DEFAULTS.easyGroup}; with --prefix P_,`,
    `${INGEST_DEFAULTS.musicGroup}-P and ${INGEST_DEFAULTS.easyGroup}-P, so prefixed tables never take`,
    "partitions from the default ones.",
    "Connection: CLICKHOUSE_URL, CLICKHOUSE_USER, CLICKHOUSE_PASSWORD (.env).",
  ].join("\n"),
} as const;

await runMain(async () => {
  const { values } = parseCommand(spec, Deno.args);
  const config = loadConfig();
  const brokers = values.brokers === undefined
    ? config.kafkaBrokers
    : values.brokers.split(",").map((b) => b.trim()).filter(Boolean);
  for (const b of brokers) parseHostPort(b, "--brokers");
  const client = new ClickHouseClient(config.clickhouse);
  const report = await initClickHouse(client, {
    brokers,
    musicTopic: values["music-topic"],
    easyTopic: values["easy-topic"],
    musicGroup: values["music-group"],
    easyGroup: values["easy-group"],
    prefix: values.prefix,
    drop: values.drop ?? false,
  });
  for (const line of describeInit(report, client.url, brokers)) console.log(line);
});
