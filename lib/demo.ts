/**
 * The whole pipeline in one run: stack up, ClickHouse tables, a dataset
 * produced at full speed, the sink until idle, DuckDB reports over the lake,
 * ClickHouse's figures side by side (they must agree), the HTML report, and
 * where everything is.
 *
 * The figures cover the whole topic, not only this run's events: the sink
 * stores every record of the topic once (its group resumes where it stopped)
 * and ClickHouse's group reads the topic once, so on a re-run the lake and
 * ClickHouse both count everything produced so far and still agree.
 *
 * @module
 */
import type { Admin } from "kafkajs";
import { UserError } from "./cli.ts";
import type { Config } from "./config.ts";
import {
  ClickHouseClient,
  clickhouseGroups,
  INGEST_DEFAULTS,
  initClickHouse,
  type InitReport,
  listQueries,
  runQuery,
} from "./clickhouse.ts";
import { Lake, s3Root } from "./duckdb.ts";
import { EventGenerator, eventJson } from "./events.ts";
import { createKafka, ensureTopic, topicEndOffsetSum, withKafkaErrors } from "./kafka.ts";
import { prepareStack, type StackKind } from "./harness.ts";
import { produceInteractively } from "./producer.ts";
import { formatBytes, formatCount, formatElapsed, Progress, RateMeter } from "./progress.ts";
import {
  findReport,
  formatResults,
  htmlReport,
  reportRunner,
  rowObjects,
  runReport,
} from "./reports.ts";
import { Sink } from "./sink.ts";
import { groupTopicLag, readLake, topicStatus } from "./status.ts";
import { endpointOf, type StackPaths } from "./stack.ts";

/** Everything the demo needs, defaults resolved by the task. */
export interface DemoOptions {
  cfg: Config;
  paths: StackPaths;
  /** Which stack to bring up (see lib/harness.ts). */
  stack: StackKind;
  /** Events to produce (0: produce nothing, show what is there). */
  events: number;
  topic: string;
  /** Partitions when the topic is created. */
  partitions: number;
  /** The sink's consumer group. */
  group: string;
  bucket: string;
  /** Lake key prefix. */
  prefix: string;
  /** Prefix of the ClickHouse table names; non-empty also gives ClickHouse its own groups. */
  clickhousePrefix: string;
  /** Absolute path of the HTML report. */
  html: string;
  /** How long ClickHouse may take to catch up (ms). */
  waitMs: number;
  /** The sink stops once nothing arrived for this long (ms). */
  idleMs: number;
  /** Seconds to wait for each service when starting the stack. */
  stackTimeoutSec: number;
  /** Lines for standard output. */
  out: (line: string) => void;
  /** Warnings and progress for standard error. */
  err: (line: string) => void;
}

/** The event topic defaults of the demo (as `deno task produce` and `deno task sink`). */
export const DEMO_DEFAULTS = {
  events: 100_000,
  topic: "music_events",
  group: "music-sink",
  prefix: "music_events",
  html: "report.html",
  partitions: 3,
} as const;

const STEPS = 7;

// ---------------------------------------------------------------- pure parts

/** The `kafka_*` settings of a Kafka-engine table's `SHOW CREATE TABLE` text. */
export function kafkaSettings(statement: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of statement.matchAll(/\b(kafka_[a-z_]+)\s*=\s*'((?:[^'\\]|\\.)*)'/g)) {
    out[m[1]!] = m[2]!.replace(/\\(.)/g, "$1");
  }
  return out;
}

/** Events of one type, as a report counts them. */
export interface TypeCount {
  eventTypeId: number;
  eventType: string;
  count: number;
}

/** The lake's and ClickHouse's counts per event type. */
export interface Comparison {
  rows: { eventTypeId: number; eventType: string; lake: number; clickhouse: number }[];
  lakeTotal: number;
  clickhouseTotal: number;
  /** Same count for every type (and at least one event). */
  agree: boolean;
}

/** Lines up two by-type counts; a type missing on one side counts 0 there. Pure. */
export function compareByType(lake: readonly TypeCount[], ch: readonly TypeCount[]): Comparison {
  const ids = [...new Set([...lake, ...ch].map((r) => r.eventTypeId))].sort((a, b) => a - b);
  const rows = ids.map((id) => {
    const l = lake.find((r) => r.eventTypeId === id);
    const c = ch.find((r) => r.eventTypeId === id);
    return {
      eventTypeId: id,
      eventType: l?.eventType ?? c?.eventType ?? "",
      lake: l?.count ?? 0,
      clickhouse: c?.count ?? 0,
    };
  });
  const lakeTotal = rows.reduce((n, r) => n + r.lake, 0);
  const clickhouseTotal = rows.reduce((n, r) => n + r.clickhouse, 0);
  return {
    rows,
    lakeTotal,
    clickhouseTotal,
    agree: lakeTotal > 0 && rows.every((r) => r.lake === r.clickhouse),
  };
}

/** Reads `{event_type_id, event_type, <count column>}` rows into {@link TypeCount}s. */
export function typeCounts(
  rows: readonly Record<string, unknown>[],
  countColumn: string,
): TypeCount[] {
  return rows.map((r) => ({
    eventTypeId: Number(r.event_type_id),
    eventType: String(r.event_type ?? ""),
    count: Number(r[countColumn] ?? 0),
  }));
}

/** The one line that says whether the figures agree. Pure. */
export function agreementLine(c: Comparison): string {
  return c.agree
    ? `✓ Analytics and ClickHouse agree: ${
      formatCount(c.lakeTotal)
    } events, ${c.rows.length} event types, the same count for each`
    : `✗ Analytics and ClickHouse disagree: the lake has ${
      formatCount(c.lakeTotal)
    } events, ClickHouse ${formatCount(c.clickhouseTotal)}`;
}

/** The side-by-side table of a comparison. Pure. */
export function renderComparison(c: Comparison, lakeLabel: string, chLabel: string): string[] {
  const rows = [
    ["EVENT TYPE", lakeLabel, chLabel, ""],
    ...c.rows.map((r) => [
      `${r.eventTypeId} ${r.eventType}`,
      formatCount(r.lake),
      formatCount(r.clickhouse),
      r.lake === r.clickhouse ? "✓" : "✗",
    ]),
    [
      "total",
      formatCount(c.lakeTotal),
      formatCount(c.clickhouseTotal),
      c.lakeTotal === c.clickhouseTotal ? "✓" : "✗",
    ],
  ];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) =>
    `  ${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padStart(widths[1]!)}  ${r[2]!.padStart(widths[2]!)}  ${
      r[3]
    }`.trimEnd()
  );
}

/** Flags of the demo that differ from the defaults, for the commands suggested at the end. */
export interface LocationFlags {
  topic: string;
  group: string;
  bucket: string;
  defaultBucket: string;
  prefix: string;
  clickhousePrefix: string;
}

function flags(pairs: [string, string, string][]): string {
  return pairs.filter(([, v, d]) => v !== d).map(([f, v]) => ` --${f} ${v}`).join("");
}

/** The commands to try next, with the flags that point at the demo's data. Pure. */
export function nextCommands(f: LocationFlags): [string, string][] {
  const lake = flags([["bucket", f.bucket, f.defaultBucket], [
    "prefix",
    f.prefix,
    DEMO_DEFAULTS.prefix,
  ]]);
  const topic = flags([["topic", f.topic, DEMO_DEFAULTS.topic]]);
  const group = flags([["group", f.group, DEMO_DEFAULTS.group]]);
  const ch = flags([["prefix", f.clickhousePrefix, ""]]);
  const chStatus = flags([["clickhouse-prefix", f.clickhousePrefix, ""]]);
  return [
    [`deno task status${topic}${group}${lake}${chStatus}`, "health, lag and sizes at a glance"],
    [`deno task analyze top-countries${lake}`, "more reports: deno task analyze --list"],
    [`deno task clickhouse:query by-type${ch}`, "the same figures from ClickHouse"],
    [`deno task produce --rate 20${topic}`, "a live stream (Ctrl-C stops) …"],
    [`deno task sink${topic}${group}${lake}`, "… stored as it arrives (Ctrl-C stops)"],
    ["deno task stack down", "stop the native stack"],
  ];
}

/** What the demo's ClickHouse tables read, for {@link recreateCommand}. */
export interface ClickHouseBinding {
  topic: string;
  clickhousePrefix: string;
  musicGroup: string;
  easyGroup: string;
}

/**
 * The `clickhouse:init --drop` that recreates the demo's own tables: with a
 * table prefix it names the prefix and the groups, so it never drops the
 * default tables. Pure.
 */
export function recreateCommand(b: ClickHouseBinding): string {
  return "deno task clickhouse:init --drop" + flags([
    ["music-topic", b.topic, INGEST_DEFAULTS.musicTopic],
    ["prefix", b.clickhousePrefix, ""],
    ["music-group", b.musicGroup, INGEST_DEFAULTS.musicGroup],
    ["easy-group", b.easyGroup, INGEST_DEFAULTS.easyGroup],
  ]);
}

// ---------------------------------------------------------------- steps

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
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

/** A failure the demo explains in words; printed without a stack. */
export class DemoError extends UserError {
  override name = "DemoError";
}

function initSummary(r: InitReport): string {
  const n = (s: string) => r.steps.filter((x) => x.status === s).length;
  return `  ClickHouse ${r.version}: ${n("created")} objects created, ${
    n("exists")
  } already existed`;
}

/** Runs the sink on the topic until it is idle and caught up; returns a summary line. */
async function runSink(o: DemoOptions): Promise<{ line: string; interrupted: boolean }> {
  const tty = Deno.stderr.isTerminal();
  const sink = new Sink(o.cfg, {
    topic: o.topic,
    group: o.group,
    bucket: o.bucket,
    prefix: o.prefix,
    limits: { maxRecords: 50_000, maxBytes: 64 * 1024 * 1024, maxAgeMs: 60_000 },
    compression: "zstd",
    dlqTopic: `${o.topic}.dlq`,
    partitions: o.partitions,
    untilIdleMs: o.idleMs,
    maxRecordBytes: 1024 * 1024,
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
  const onSignal = () => {
    interrupted = true;
    sink.stop();
  };
  Deno.addSignalListener("SIGINT", onSignal);
  try {
    await sink.start();
    progress.start();
    await sink.done;
  } finally {
    progress.stop();
    Deno.removeSignalListener("SIGINT", onSignal);
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

/** ClickHouse's by-type counts (the named query `by-type`). */
async function clickhouseByType(ch: ClickHouseClient, prefix: string): Promise<TypeCount[]> {
  const q = (await listQueries()).find((x) => x.name === "by-type");
  if (!q) throw new Error('ClickHouse query "by-type" is missing from sql/clickhouse/queries/');
  return typeCounts((await runQuery(ch, q, prefix)).data, "cnt");
}

/** ClickHouse's group lag on the topic (records it has not committed yet). */
async function clickhouseLag(admin: Admin, topic: string, group: string): Promise<number> {
  const t = topicStatus(topic, await admin.fetchTopicOffsets(topic));
  const committed = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  return groupTopicLag(t, committed[0]?.partitions ?? []).lag;
}

/**
 * Polls ClickHouse until its by-type counts equal the lake's or `waitMs`
 * passes; returns the last comparison.
 */
async function waitForClickHouse(
  ch: ClickHouseClient,
  o: DemoOptions,
  lake: readonly TypeCount[],
): Promise<Comparison> {
  const total = lake.reduce((n, r) => n + r.count, 0);
  let cmp = compareByType(lake, await clickhouseByType(ch, o.clickhousePrefix));
  if (cmp.agree) return cmp;
  const progress = new Progress({
    render: (ms) =>
      `  ${formatElapsed(ms)}  waiting for ClickHouse: ${formatCount(cmp.clickhouseTotal)} of ${
        formatCount(total)
      } rows`,
  }).start();
  try {
    const deadline = Date.now() + o.waitMs;
    while (!cmp.agree && Date.now() < deadline) {
      await sleep(1000);
      cmp = compareByType(lake, await clickhouseByType(ch, o.clickhousePrefix));
    }
  } finally {
    progress.stop();
  }
  return cmp;
}

/**
 * Runs the demo; returns the exit code: 0 when the lake's and ClickHouse's
 * figures agree, 1 when they do not (after `waitMs`), 130 when interrupted.
 * Unreachable services and bad settings throw UserErrors.
 */
export async function runDemo(o: DemoOptions): Promise<number> {
  const { cfg } = o;
  const started = Date.now();
  let n = 0;
  const step = (text: string) => o.out(`\n[${++n}/${STEPS}] ${text}`);
  const root = s3Root(o.bucket, o.prefix);
  const { musicGroup, easyGroup } = clickhouseGroups(o.clickhousePrefix);
  const binding = { topic: o.topic, clickhousePrefix: o.clickhousePrefix, musicGroup, easyGroup };

  step(`Starting the stack (${o.stack})…`);
  await prepareStack(o.stack, {
    paths: o.paths,
    cfg,
    timeoutSec: o.stackTimeoutSec,
    say: (l) => o.out(`  ${l}`),
  });

  step("Preparing the Kafka topics and the ClickHouse tables…");
  const kafka = createKafka({ brokers: cfg.kafkaBrokers, clientId: "music-demo" });
  const admin = kafka.admin();
  const ch = new ClickHouseClient(cfg.clickhouse);
  try {
    await withKafkaErrors(cfg.kafkaBrokers, async () => {
      await admin.connect();
      await prepareTopics(admin, o);
    });
    const init = await initClickHouse(ch, {
      brokers: cfg.kafkaBrokers,
      musicTopic: o.topic,
      musicGroup,
      easyGroup,
      prefix: o.clickhousePrefix,
    });
    o.out(initSummary(init));
    await checkBinding(ch, binding);
    o.out(
      `  ClickHouse reads ${o.topic} into ${o.clickhousePrefix}music_consumer_phys (group ${musicGroup})`,
    );

    step(`Producing ${formatCount(o.events)} events to ${o.topic} at full speed…`);
    if (o.events > 0) {
      const generator = new EventGenerator();
      const summary = await produceInteractively({
        kafka: createKafka({ brokers: cfg.kafkaBrokers, clientId: "music-producer" }),
        brokers: cfg.kafkaBrokers,
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
      if (summary.stopped) return 130;
    } else {
      o.out("  nothing to produce (--events 0)");
    }
    const topicTotal = await withKafkaErrors(
      cfg.kafkaBrokers,
      () => topicEndOffsetSum(admin, o.topic),
    );
    o.out(`  the topic now holds ${formatCount(topicTotal)} events`);

    step(`Storing the topic in the lake: ${o.topic} → ${root}/ (group ${o.group})…`);
    const sunk = await runSink(o);
    o.out(sunk.line);
    if (sunk.interrupted) return 130;

    step(`Analytics over the lake with DuckDB (${root})…`);
    const lake = await Lake.open({ root, s3: cfg.s3 });
    let cmp: Comparison;
    try {
      const results = [];
      for (
        const [name, limit] of [["count"], ["by-type"], ["top-countries", 5], [
          "top-tracks",
          5,
        ]] as [string, number?][]
      ) {
        results.push({
          name,
          title: findReport(name)!.title,
          result: await runReport(lake, name, limit),
        });
      }
      o.out(formatResults(results, "table").trimEnd().split("\n").map((l) => `  ${l}`).join("\n"));
      const lakeByType = typeCounts(rowObjects(results[1]!.result), "events");

      step(`ClickHouse side by side (${o.clickhousePrefix}music_consumer_phys)…`);
      cmp = await waitForClickHouse(ch, o, lakeByType);
      for (const l of renderComparison(cmp, "LAKE (DuckDB)", "CLICKHOUSE")) o.out(l);
      o.out(`  Kafka topic ${o.topic}: ${formatCount(topicTotal)} events`);
      o.out(agreementLine(cmp));

      step("Writing the HTML report…");
      await Deno.writeTextFile(o.html, await htmlReport(lake, reportRunner(lake)));
      o.out(`  wrote ${o.html}`);
    } finally {
      lake.close();
    }

    const files = await readLake(cfg, o.bucket, o.prefix);
    o.out(`\nWhere everything is (${formatElapsed(Date.now() - started)} in all)`);
    const where = [
      ["Kafka", `${endpointOf("kafka", cfg)}  topic ${o.topic}, dead letters ${o.topic}.dlq`],
      [
        "Lake",
        `${root}/dt=YYYY-MM-DD/*.parquet on ${cfg.s3.endpoint} (${
          formatCount(files.objects)
        } objects, ${formatBytes(files.bytes)})`,
      ],
      [
        "ClickHouse",
        `${cfg.clickhouse.url}  table ${o.clickhousePrefix}music_consumer_phys (user ${cfg.clickhouse.user})`,
      ],
      ["Consumers", `sink group ${o.group}, ClickHouse groups ${musicGroup}, ${easyGroup}`],
      ["HTML report", o.html],
    ];
    for (const [k, v] of where) o.out(`  ${k!.padEnd(12)} ${v}`);
    o.out("\nNext:");
    const next = nextCommands({
      topic: o.topic,
      group: o.group,
      bucket: o.bucket,
      defaultBucket: cfg.s3.bucket,
      prefix: o.prefix,
      clickhousePrefix: o.clickhousePrefix,
    });
    // Align the descriptions unless a command is long (flags of an isolated run).
    const w = Math.max(...next.map(([c]) => c.length));
    for (const [c, what] of next) {
      o.out(w <= 48 ? `  ${c.padEnd(w)}  # ${what}` : `  ${c}  # ${what}`);
    }

    if (!cmp.agree) {
      const lag = await clickhouseLag(admin, o.topic, musicGroup).catch(() => undefined);
      const why = lag !== undefined && lag > 0
        ? `ClickHouse's group ${musicGroup} is still ${formatCount(lag)} records behind after ${
          o.waitMs / 1000
        } s (try again, or raise --wait)`
        : `ClickHouse has read the whole topic, so one side holds other data: the lake under ${root}/ ` +
          `may hold other topics or duplicates, or ${o.clickhousePrefix}music_consumer_phys rows ` +
          `from earlier (${recreateCommand(binding)} recreates it empty)`;
      o.err(
        `\nerror: analytics and ClickHouse disagree (lake ${formatCount(cmp.lakeTotal)}, ` +
          `ClickHouse ${formatCount(cmp.clickhouseTotal)}): ${why}`,
      );
      return 1;
    }
    return 0;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}
