/**
 * The demo's steps, each one stage of the pipeline: the stack, the Kafka
 * topics and ClickHouse tables (and a check that the tables read our topic),
 * producing the dataset, the sink until idle, the DuckDB reports and the
 * HTML report. Each prints its own lines through `o.out`.
 *
 * @module
 */
import type { Admin } from "kafkajs";
import { onStopSignals } from "../core/process.ts";
import { formatBytes, formatCount, formatElapsed, Progress, RateMeter } from "../core/progress.ts";
import { type ClickHouseClient } from "../clickhouse/client.ts";
import { kafkaSettings } from "../clickhouse/sql.ts";
import {
  clickhouseGroups,
  INGEST_DEFAULTS,
  initClickHouse,
  type InitReport,
} from "../clickhouse/ingest.ts";
import type { Lake } from "../lake/duckdb.ts";
import { eventJson } from "../events/codec.ts";
import { EventGenerator } from "../events/generator.ts";
import { prepareStack } from "../stack/harness.ts";
import { ensureTopic, topicEndOffsetSum } from "../kafka/admin.ts";
import { createKafka, withKafkaErrors } from "../kafka/client.ts";
import { produceInteractively } from "../kafka/produce_cli.ts";
import { formatResults, rowObjects } from "../lake/report_format.ts";
import { findReport, htmlReport, reportRunner, runReport } from "../lake/reports.ts";
import { Sink } from "../sink/create.ts";
import { defaultWorkers } from "../sink/run.ts";
import { type TypeCount, typeCounts } from "./demo_compare.ts";
import { DemoError, type DemoOptions } from "./demo_options.ts";
import { type ClickHouseBinding, recreateCommand } from "./demo_summary.ts";

/** What the demo's ClickHouse tables read: our topic, with the groups of the table prefix. */
export function demoBinding(o: DemoOptions): ClickHouseBinding {
  const { musicGroup, easyGroup } = clickhouseGroups(o.clickhousePrefix);
  return { topic: o.topic, clickhousePrefix: o.clickhousePrefix, musicGroup, easyGroup };
}

/** Brings up the chosen stack. */
export async function startStack(o: DemoOptions): Promise<void> {
  await prepareStack(o.stack, {
    paths: o.paths,
    cfg: o.cfg,
    timeoutSec: o.stackTimeoutSec,
    say: (l) => o.out(`  ${l}`),
  });
}

/** Creates the topics before ClickHouse subscribes: librdkafka notices new topics only minutes later. */
async function prepareTopics(admin: Admin, o: DemoOptions): Promise<void> {
  const created: string[] = [];
  const make = async (topic: string, partitions: number) => {
    if ((await ensureTopic(admin, topic, partitions)).created) created.push(topic);
  };
  await make(o.topic, o.partitions);
  await make(`${o.topic}.dlq`, 1);
  await make(INGEST_DEFAULTS.easyTopic, 1);
  o.out(
    `  Kafka topics: ${o.topic}, ${o.topic}.dlq, ${INGEST_DEFAULTS.easyTopic}${
      created.length ? ` (created ${created.join(", ")})` : " (all existed)"
    }`,
  );
}

/**
 * Checks that the existing Kafka table reads our topic with the expected
 * group: `CREATE … IF NOT EXISTS` keeps a table made earlier for another topic.
 */
async function checkBinding(ch: ClickHouseClient, b: ClickHouseBinding): Promise<void> {
  const table = `${b.clickhousePrefix}music_consumer`;
  const r = await ch.query<{ statement: string }>(`SHOW CREATE TABLE ${table}`);
  const s = kafkaSettings(r.data[0]?.statement ?? "");
  if (s.kafka_topic_list !== b.topic || s.kafka_group_name !== b.musicGroup) {
    throw new DemoError(
      `ClickHouse table ${table} reads topic "${s.kafka_topic_list}" with group "${s.kafka_group_name}", ` +
        `not "${b.topic}" with "${b.musicGroup}": recreate it with "${recreateCommand(b)}" ` +
        `or give the demo its own --clickhouse-prefix`,
    );
  }
}

function initSummary(r: InitReport): string {
  const n = (s: string) => r.steps.filter((x) => x.status === s).length;
  const replaced = n("replaced") ? `, ${n("replaced")} replaced (Kafka settings changed)` : "";
  return `  ClickHouse ${r.version}: ${n("created")} objects created${replaced}, ${
    n("exists")
  } already existed`;
}

/**
 * Connects `admin`, creates the topics, then the ClickHouse tables, and checks
 * that they read our topic with our group.
 */
export async function prepareTopicsAndTables(
  admin: Admin,
  ch: ClickHouseClient,
  o: DemoOptions,
  binding: ClickHouseBinding,
): Promise<void> {
  await withKafkaErrors(o.cfg.kafkaBrokers, async () => {
    await admin.connect();
    await prepareTopics(admin, o);
  });
  const init = await initClickHouse(ch, {
    brokers: o.cfg.kafkaBrokers,
    musicTopic: o.topic,
    musicGroup: binding.musicGroup,
    easyGroup: binding.easyGroup,
    prefix: o.clickhousePrefix,
  });
  o.out(initSummary(init));
  await checkBinding(ch, binding);
  o.out(
    `  ClickHouse reads ${o.topic} into ${o.clickhousePrefix}music_consumer_phys (group ${binding.musicGroup})`,
  );
}

/** Produces `o.events` events at full speed; false when interrupted. */
export async function produceEvents(o: DemoOptions): Promise<boolean> {
  if (o.events <= 0) {
    o.out("  nothing to produce (--events 0)");
    return true;
  }
  // A backfill spreads the events over the past window with a daily rhythm.
  const generator = new EventGenerator(
    o.backfillMs > 0 ? { backfillMs: o.backfillMs, backfillEvents: o.events } : {},
  );
  const summary = await produceInteractively({
    kafka: createKafka({ brokers: o.cfg.kafkaBrokers, clientId: "music-producer" }),
    brokers: o.cfg.kafkaBrokers,
    topic: o.topic,
    partitions: o.partitions,
    compression: "zstd",
    rate: 0,
    count: o.events,
    next: () => {
      const e = generator.next();
      return { key: e.event_param.user_id, value: eventJson(e) };
    },
  }, "events");
  return !summary.stopped;
}

/** Prints and returns how many events the topic holds (its end offsets summed). */
export async function topicTotal(admin: Admin, o: DemoOptions): Promise<number> {
  const total = await withKafkaErrors(o.cfg.kafkaBrokers, () => topicEndOffsetSum(admin, o.topic));
  o.out(`  the topic now holds ${formatCount(total)} events`);
  return total;
}

/** Runs the sink on the topic until it is idle and caught up; returns a summary line. */
export async function runSink(o: DemoOptions): Promise<{ line: string; interrupted: boolean }> {
  const tty = Deno.stderr.isTerminal();
  const sink = new Sink(o.cfg, {
    topic: o.topic,
    group: o.group,
    bucket: o.bucket,
    prefix: o.prefix,
    limits: { maxRecords: 50_000, maxBytes: 4 * 1024 * 1024, maxAgeMs: 60_000 },
    compression: "zstd",
    dlqTopic: `${o.topic}.dlq`,
    partitions: o.partitions,
    untilIdleMs: o.idleMs,
    maxRecordBytes: 1024 * 1024,
    workers: defaultWorkers(),
    log: (l) => o.err(tty ? `\r\x1b[2K  ${l}` : `  ${l}`),
    debug: undefined,
  });
  const meter = new RateMeter();
  const progress = new Progress({
    render: (ms) => {
      const s = sink.stats;
      const lag = [...s.lag.values()].reduce((a, b) => a + b, 0);
      return `  ${formatElapsed(ms)}  stored ${
        formatCount(s.records)
      } records in ${s.files} files (${formatBytes(s.bytes)}), ${
        formatCount(meter.update(s.records))
      }/s, lag ${formatCount(lag)}`;
    },
  });
  let interrupted = false;
  const dispose = onStopSignals(() => {
    interrupted = true;
    void sink.stop();
  });
  try {
    await sink.start();
    progress.start();
    await sink.done;
  } finally {
    progress.stop();
    dispose();
    await sink.stop();
  }
  const s = sink.stats;
  return {
    interrupted,
    line: `  stored ${formatCount(s.records)} new records in ${s.files} files (${
      formatBytes(s.bytes)
    }), ${s.deadLetters} dead letters, in ${formatElapsed(Date.now() - s.startedAt)}`,
  };
}

/** Runs the demo's DuckDB reports over the lake, prints them; returns the lake's by-type counts. */
export async function lakeReports(lake: Lake, o: DemoOptions): Promise<TypeCount[]> {
  const results = [];
  const reports: [string, number?][] = [["count"], ["by-type"], ["top-countries", 5], [
    "top-tracks",
    5,
  ]];
  for (const [name, limit] of reports) {
    results.push({
      name,
      title: findReport(name)!.title,
      result: await runReport(lake, name, limit),
    });
  }
  o.out(formatResults(results, "table").trimEnd().split("\n").map((l) => `  ${l}`).join("\n"));
  return typeCounts(rowObjects(results[1]!.result), "events");
}

/** Writes the HTML report of the lake to `o.html`. */
export async function writeHtml(lake: Lake, o: DemoOptions): Promise<void> {
  await Deno.writeTextFile(o.html, await htmlReport(lake, reportRunner(lake)));
  o.out(`  wrote ${o.html}`);
}
