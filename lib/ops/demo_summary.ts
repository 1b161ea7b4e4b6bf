/**
 * The end of the demo: where everything is, the commands to try next (with
 * the flags that point at the demo's data), and why the two paths disagree
 * when they do. The command lines are built by pure functions.
 *
 * @module
 */
import type { Admin } from "kafkajs";
import { formatBytes, formatCount, formatElapsed } from "../core/progress.ts";
import { INGEST_DEFAULTS } from "../clickhouse/ingest.ts";
import { endpointOf } from "../stack/services.ts";
import { clickhouseLag, type Comparison } from "./demo_compare.ts";
import { DEMO_DEFAULTS, type DemoOptions } from "./demo_options.ts";
import { readLake } from "./status_lake.ts";

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

/** Prints where each part of the pipeline keeps the demo's data. */
async function printWhere(o: DemoOptions, root: string, b: ClickHouseBinding, started: number) {
  const { cfg } = o;
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
    ["Consumers", `sink group ${o.group}, ClickHouse groups ${b.musicGroup}, ${b.easyGroup}`],
    ["HTML report", o.html],
  ];
  for (const [k, v] of where) o.out(`  ${k!.padEnd(12)} ${v}`);
}

/** Prints the commands to try next. */
function printNext(o: DemoOptions): void {
  o.out("\nNext:");
  const next = nextCommands({
    topic: o.topic,
    group: o.group,
    bucket: o.bucket,
    defaultBucket: o.cfg.s3.bucket,
    prefix: o.prefix,
    clickhousePrefix: o.clickhousePrefix,
  });
  // Align the descriptions unless a command is long (flags of an isolated run).
  const w = Math.max(...next.map(([c]) => c.length));
  for (const [c, what] of next) {
    o.out(w <= 48 ? `  ${c.padEnd(w)}  # ${what}` : `  ${c}  # ${what}`);
  }
}

/**
 * Prints where everything is and what to run next.
 *
 * @example
 * ```ts
 * await printSummary(opts, "s3://prod-python/music_events", binding, startedAt);
 * ```
 */
export async function printSummary(
  o: DemoOptions,
  root: string,
  binding: ClickHouseBinding,
  started: number,
): Promise<void> {
  await printWhere(o, root, binding, started);
  printNext(o);
}

/** Prints why the lake and ClickHouse disagree: ClickHouse is behind, or one side holds other data. */
export async function explainDisagreement(
  admin: Admin,
  o: DemoOptions,
  cmp: Comparison,
  root: string,
  binding: ClickHouseBinding,
): Promise<void> {
  const { musicGroup } = binding;
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
}
