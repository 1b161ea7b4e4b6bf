/**
 * The pipeline at a glance: services up or down, topics and their end
 * offsets, consumer groups and their lag per partition, the dead-letter
 * topic, the lake's objects and bytes per date, and ClickHouse's row counts.
 *
 * {@link gatherStatus} collects a typed {@link StatusReport}; a service that is
 * down makes the sections that need it "unavailable" instead of failing.
 * {@link renderStatus} turns a report into text (pure).
 *
 * @module
 */
import type { Admin } from "kafkajs";
import type { Config } from "./config.ts";
import { ClickHouseClient, resolveIngestOptions } from "./clickhouse.ts";
import { createKafka } from "./kafka.ts";
import { lakeKeyHead, lakeObjectDate, normalizePrefix } from "./lake.ts";
import { formatBytes, formatCount } from "./progress.ts";
import { createS3Client, describeS3Error, listObjects, type ObjectInfo } from "./s3.ts";
import { type ServiceName, SERVICES, serviceStatus, type StackPaths } from "./stack.ts";

// ---------------------------------------------------------------- the report

/** A section that needs a service: its data, or why it could not be read. */
export type Section<T> = ({ available: true } & T) | { available: false; reason: string };

/** One service, as its health check saw it. */
export interface ServiceState {
  name: ServiceName;
  endpoint: string;
  up: boolean;
  /** Pid when this project's native stack started it; null for others (e.g. docker). */
  pid: number | null;
  /** Why it is down (empty when up). */
  detail: string;
}

/** Low and high watermark (end offset) of one partition. */
export interface PartitionOffsets {
  partition: number;
  low: number;
  high: number;
}

/** One topic. */
export interface TopicStatus {
  topic: string;
  exists: boolean;
  partitions: PartitionOffsets[];
  /** Messages retained: the sum of high − low over the partitions. */
  messages: number;
}

/** A group's position in one partition. */
export interface PartitionLag {
  partition: number;
  /** Committed offset, or null when the group committed none for the partition. */
  committed: number | null;
  /** End offset (high watermark). */
  end: number;
  /** Records the group has not committed yet: end − max(committed, low). */
  lag: number;
}

/** A group's lag on one topic. */
export interface GroupTopicLag {
  topic: string;
  lag: number;
  partitions: PartitionLag[];
}

/** One consumer group. */
export interface GroupStatus {
  group: string;
  /** Broker-side state (`Stable`, `Empty`, …), or `Unknown` when the broker knows no such group. */
  state: string;
  members: number;
  /** Total lag over the topics shown. */
  lag: number;
  /** Topics shown on which the group committed offsets. */
  topics: GroupTopicLag[];
}

/** Kafka: topics, groups and the dead-letter topic. */
export interface KafkaStatus {
  topics: TopicStatus[];
  groups: GroupStatus[];
  dlq: { topic: string; exists: boolean; messages: number };
}

/** Objects and bytes under one `dt=` folder. */
export interface LakeDate {
  date: string;
  objects: number;
  bytes: number;
}

/** The Parquet lake under `s3://bucket/prefix/`. */
export interface LakeStatus {
  bucket: string;
  prefix: string;
  bucketExists: boolean;
  dates: LakeDate[];
  objects: number;
  bytes: number;
  /** Objects under the prefix that are not in the `dt=…/….parquet` layout. */
  other: { objects: number; bytes: number };
}

/** Rows of one ClickHouse table; null when it does not exist (not initialised). */
export interface TableCount {
  table: string;
  rows: number | null;
}

/** ClickHouse: version and the row counts of the ingestion tables. */
export interface ClickHouseStatus {
  version: string;
  tables: TableCount[];
}

/** Everything `deno task status` shows. */
export interface StatusReport {
  generatedAt: string;
  /** True when every service is up. */
  ok: boolean;
  services: ServiceState[];
  kafka: Section<KafkaStatus>;
  lake: Section<LakeStatus>;
  clickhouse: Section<ClickHouseStatus>;
}

// ---------------------------------------------------------------- pure parts

/** Kafka's internal topics (`__consumer_offsets`, …) start with two underscores. */
export function isInternalTopic(topic: string): boolean {
  return topic.startsWith("__");
}

/** A topic's status from its partitions' offsets (as kafkajs returns them, strings). */
export function topicStatus(
  topic: string,
  offsets: readonly { partition: number; low: string | number; high: string | number }[],
): TopicStatus {
  const partitions = offsets
    .map((o) => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) }))
    .sort((a, b) => a.partition - b.partition);
  return {
    topic,
    exists: true,
    partitions,
    messages: partitions.reduce((n, p) => n + p.high - p.low, 0),
  };
}

/**
 * A group's lag on a topic: every partition of the topic, with the committed
 * offset where there is one (kafkajs reports none as `-1`). A partition
 * without a commit lags by everything retained in it.
 */
export function groupTopicLag(
  topic: TopicStatus,
  committed: readonly { partition: number; offset: string | number }[],
): GroupTopicLag {
  const byPartition = new Map(committed.map((c) => [c.partition, Number(c.offset)]));
  const partitions = topic.partitions.map((p): PartitionLag => {
    const c = byPartition.get(p.partition);
    const done = c === undefined || c < 0 ? null : c;
    return {
      partition: p.partition,
      committed: done,
      end: p.high,
      lag: Math.max(0, p.high - Math.max(done ?? p.low, p.low)),
    };
  });
  return { topic: topic.topic, lag: partitions.reduce((n, p) => n + p.lag, 0), partitions };
}

/** Sums objects and bytes per `dt=` date under `prefix` (dates ascending). */
export function summarizeLake(
  bucket: string,
  prefix: string,
  objects: readonly ObjectInfo[],
): LakeStatus {
  const p = normalizePrefix(prefix);
  const head = lakeKeyHead(p);
  const dates = new Map<string, LakeDate>();
  const other = { objects: 0, bytes: 0 };
  for (const o of objects) {
    if (!o.key.startsWith(head)) continue;
    const date = lakeObjectDate(o.key, p);
    if (date === undefined) {
      other.objects++;
      other.bytes += o.size;
      continue;
    }
    const d = dates.get(date) ?? { date, objects: 0, bytes: 0 };
    d.objects++;
    d.bytes += o.size;
    dates.set(date, d);
  }
  const list = [...dates.values()].sort((a, b) => a.date.localeCompare(b.date));
  return {
    bucket,
    prefix: p,
    bucketExists: true,
    dates: list,
    objects: list.reduce((n, d) => n + d.objects, 0),
    bytes: list.reduce((n, d) => n + d.bytes, 0),
    other,
  };
}

/**
 * Lets `--watch` stand alone: a `--watch` not followed by a number (and not
 * written `--watch=N`) gets the default period. Pure.
 */
export function normalizeWatch(args: readonly string[], fallback: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") return [...out, ...args.slice(i)];
    if (a === "--watch" && !/^\d+(\.\d+)?(ms|s|m)?$/.test(args[i + 1] ?? "")) {
      out.push(`--watch=${fallback}`);
    } else {
      out.push(a);
    }
  }
  return out;
}

/** Exit code of `deno task status`: 0 when every service is up. */
export function exitCode(report: StatusReport): number {
  return report.ok ? 0 : 1;
}

// ---------------------------------------------------------------- gathering

/** What {@link gatherStatus} looks at. */
export interface StatusOptions {
  cfg: Config;
  paths: StackPaths;
  /** Topics to show; undefined shows every non-internal topic. */
  topics: readonly string[] | undefined;
  /** Groups always listed (shown as `Unknown` when the broker has none), e.g. the sink's. */
  groups: readonly string[];
  dlqTopic: string;
  bucket: string;
  /** Lake key prefix, e.g. `music_events`. */
  prefix: string;
  /** Prefix of the ClickHouse table names ("" by default). */
  clickhousePrefix: string;
}

function firstLine(e: unknown): string {
  return String((e as Error)?.message ?? e).split("\n")[0]!.trim();
}

async function section<T extends object>(
  needs: ServiceState | undefined,
  read: () => Promise<T>,
): Promise<Section<T>> {
  if (needs && !needs.up) {
    return { available: false, reason: `${needs.name} is down at ${needs.endpoint}` };
  }
  try {
    return { available: true, ...(await read()) };
  } catch (e) {
    return { available: false, reason: firstLine(e) };
  }
}

/** Offsets of every partition of each existing topic. */
async function readTopics(
  admin: Admin,
  names: readonly string[],
  existing: ReadonlySet<string>,
): Promise<TopicStatus[]> {
  return await Promise.all(
    names.map(async (topic) =>
      existing.has(topic)
        ? topicStatus(topic, await admin.fetchTopicOffsets(topic))
        : { topic, exists: false, partitions: [], messages: 0 }
    ),
  );
}

async function readKafka(cfg: Config, opts: StatusOptions): Promise<KafkaStatus> {
  const admin = createKafka({ brokers: cfg.kafkaBrokers, clientId: "music-status" }).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const names = opts.topics
      ? [...new Set([...opts.topics, opts.dlqTopic])]
      : [...existing].filter((t) => !isInternalTopic(t)).sort();
    const topics = await readTopics(admin, names, existing);
    const shown = new Map(topics.filter((t) => t.exists).map((t) => [t.topic, t]));

    const listed = (await admin.listGroups()).groups
      .filter((g) => g.protocolType === "consumer" || g.protocolType === "")
      .map((g) => g.groupId);
    const commits = await Promise.all(
      listed.map(async (groupId) => ({ groupId, topics: await admin.fetchOffsets({ groupId }) })),
    );
    const lags = new Map<string, GroupTopicLag[]>();
    for (const { groupId, topics: committed } of commits) {
      const onShown = committed
        .filter((c) => shown.has(c.topic) && c.partitions.some((p) => Number(p.offset) >= 0))
        .map((c) => groupTopicLag(shown.get(c.topic)!, c.partitions))
        .sort((a, b) => a.topic.localeCompare(b.topic));
      if (onShown.length > 0) lags.set(groupId, onShown);
    }
    const ids = [...new Set([...opts.groups, ...[...lags.keys()].sort()])];
    const known = new Set(listed);
    const described = new Map(
      (await admin.describeGroups(ids.filter((g) => known.has(g)))).groups.map((
        g,
      ) => [g.groupId, g]),
    );
    const groups = ids.map((group): GroupStatus => {
      const d = described.get(group);
      const topicsLag = lags.get(group) ?? [];
      return {
        group,
        state: d?.state ?? "Unknown",
        members: d?.members.length ?? 0,
        lag: topicsLag.reduce((n, t) => n + t.lag, 0),
        topics: topicsLag,
      };
    });
    const dlq = topics.find((t) => t.topic === opts.dlqTopic) ??
      (await readTopics(admin, [opts.dlqTopic], existing))[0]!;
    return {
      topics,
      groups,
      dlq: { topic: dlq.topic, exists: dlq.exists, messages: dlq.messages },
    };
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

/** Lists the lake under `s3://bucket/prefix/` and sums it per date; a missing bucket is empty. */
export async function readLake(
  cfg: Config,
  bucket: string,
  prefix: string,
): Promise<LakeStatus> {
  const client = createS3Client(cfg.s3, { timeoutMs: 10_000 });
  const p = normalizePrefix(prefix);
  try {
    return summarizeLake(bucket, p, await listObjects(client, bucket, lakeKeyHead(p)));
  } catch (e) {
    if ((e as Error).name === "NoSuchBucket") {
      return { ...summarizeLake(bucket, p, []), bucketExists: false };
    }
    throw new Error(describeS3Error(e, cfg.s3.endpoint));
  } finally {
    client.destroy();
  }
}

/** Names of the ClickHouse tables whose rows are counted. */
export function clickhouseTables(prefix: string): string[] {
  return [`${prefix}music_consumer_phys`, `${prefix}easy_consumer_phys`];
}

async function readClickHouse(cfg: Config, prefix: string): Promise<ClickHouseStatus> {
  const client = new ClickHouseClient({ ...cfg.clickhouse, timeoutMs: 10_000 });
  const version = await client.version();
  const names = clickhouseTables(prefix);
  const found = await client.query<{ name: string }>(
    `SELECT name FROM system.tables WHERE database = currentDatabase() AND name IN (${
      names.map((n) => `'${n}'`).join(", ")
    })`,
  );
  const existing = new Set(found.data.map((r) => r.name));
  const tables = await Promise.all(names.map(async (table): Promise<TableCount> => {
    if (!existing.has(table)) return { table, rows: null };
    const r = await client.query<{ n: number }>(`SELECT count() AS n FROM ${table}`);
    return { table, rows: Number(r.data[0]?.n ?? 0) };
  }));
  return { version, tables };
}

/**
 * Reads the whole status. Never throws for a service being down or failing:
 * the affected sections say why they are unavailable.
 */
export async function gatherStatus(opts: StatusOptions): Promise<StatusReport> {
  const { cfg } = opts;
  // Validates the table prefix the same way clickhouse:init does.
  const chPrefix =
    resolveIngestOptions({ brokers: cfg.kafkaBrokers, prefix: opts.clickhousePrefix })
      .prefix;
  const services = await Promise.all(SERVICES.map(async (name): Promise<ServiceState> => {
    const s = await serviceStatus(opts.paths, cfg, name);
    return {
      name,
      endpoint: s.endpoint,
      up: s.healthy,
      pid: s.pid ?? null,
      detail: s.healthy ? "" : s.detail.split("\n")[0]!.trim(),
    };
  }));
  const svc = (name: ServiceName) => services.find((s) => s.name === name);
  const [kafka, lake, clickhouse] = await Promise.all([
    section(svc("kafka"), () => readKafka(cfg, opts)),
    section(svc("s3"), () => readLake(cfg, opts.bucket, opts.prefix)),
    section(svc("clickhouse"), () => readClickHouse(cfg, chPrefix)),
  ]);
  return {
    generatedAt: new Date().toISOString(),
    ok: services.every((s) => s.up),
    services,
    kafka,
    lake,
    clickhouse,
  };
}

// ---------------------------------------------------------------- rendering

/** Aligns rows into columns; `right[i]` right-aligns column i. Pure. */
export function columns(rows: readonly string[][], right: readonly boolean[] = []): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) =>
    r.map((c, i) =>
      i === r.length - 1 && !right[i] ? c : right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)
    ).join("  ").trimEnd()
  );
}

function indent(lines: string[]): string[] {
  return lines.map((l) => `  ${l}`);
}

function perPartition(items: readonly { partition: number; value: number }[]): string {
  return items.map((i) => `${i.partition}:${formatCount(i.value)}`).join("  ");
}

function renderServices(services: readonly ServiceState[]): string[] {
  return [
    "SERVICES",
    ...indent(columns(services.map((s) => [
      s.name,
      s.up ? "up" : "DOWN",
      s.endpoint,
      s.up ? (s.pid ? `pid ${s.pid}` : "external") : s.detail,
    ]))),
  ];
}

function renderKafka(k: Section<KafkaStatus>, endpoint: string): string[] {
  if (!k.available) return [`KAFKA  unavailable: ${k.reason}`];
  const topicRows = [
    ["TOPIC", "PARTITIONS", "MESSAGES", "END OFFSETS"],
    ...k.topics.map((t) =>
      t.exists
        ? [
          t.topic,
          String(t.partitions.length),
          formatCount(t.messages),
          perPartition(t.partitions.map((p) => ({ partition: p.partition, value: p.high }))),
        ]
        : [t.topic, "-", "-", "(does not exist)"]
    ),
  ];
  const groupRows = [["GROUP", "TOPIC", "STATE", "MEMBERS", "LAG", "LAG PER PARTITION"]];
  for (const g of k.groups) {
    if (g.topics.length === 0) {
      groupRows.push([
        g.group,
        "-",
        g.state,
        String(g.members),
        "-",
        g.state === "Unknown" ? "(no such group)" : "(no committed offsets on these topics)",
      ]);
    }
    g.topics.forEach((t, i) =>
      groupRows.push([
        i === 0 ? g.group : "",
        t.topic,
        i === 0 ? g.state : "",
        i === 0 ? String(g.members) : "",
        formatCount(t.lag),
        perPartition(t.partitions.map((p) => ({ partition: p.partition, value: p.lag }))),
      ])
    );
  }
  const dlq = k.dlq.exists
    ? `${k.dlq.topic}: ${formatCount(k.dlq.messages)} message${k.dlq.messages === 1 ? "" : "s"}`
    : `${k.dlq.topic}: none (topic not created yet)`;
  return [
    `KAFKA  ${endpoint}`,
    ...indent(columns(topicRows, [false, true, true, false])),
    "",
    ...indent(columns(groupRows, [false, false, false, true, true, false])),
    "",
    `DEAD LETTERS  ${dlq}`,
  ];
}

function renderLake(l: Section<LakeStatus>): string[] {
  if (!l.available) return [`LAKE  unavailable: ${l.reason}`];
  const head = `LAKE  s3://${l.bucket}/${l.prefix ? `${l.prefix}/` : ""}`;
  if (!l.bucketExists) return [`${head}  bucket does not exist`];
  if (l.dates.length === 0 && l.other.objects === 0) return [`${head}  empty`];
  const rows = [
    ["DATE", "OBJECTS", "BYTES"],
    ...l.dates.map((d) => [d.date, formatCount(d.objects), formatBytes(d.bytes)]),
    ["total", formatCount(l.objects), formatBytes(l.bytes)],
  ];
  const other = l.other.objects > 0
    ? [
      `  (${formatCount(l.other.objects)} other object${
        l.other.objects === 1 ? "" : "s"
      } outside the dt= layout, ${formatBytes(l.other.bytes)})`,
    ]
    : [];
  return [head, ...indent(columns(rows, [false, true, true])), ...other];
}

function renderClickHouse(c: Section<ClickHouseStatus>, endpoint: string): string[] {
  if (!c.available) return [`CLICKHOUSE  unavailable: ${c.reason}`];
  return [
    `CLICKHOUSE  ${c.version} at ${endpoint}`,
    ...indent(columns(c.tables.map((t) => [
      t.table,
      t.rows === null
        ? "not initialised (deno task clickhouse:init)"
        : `${formatCount(t.rows)} rows`,
    ]))),
  ];
}

/** The report as text, section by section. Pure. */
export function renderStatus(r: StatusReport): string {
  const at = r.generatedAt.slice(0, 19).replace("T", " ");
  const ch = r.services.find((s) => s.name === "clickhouse")?.endpoint ?? "";
  const down = r.services.filter((s) => !s.up).map((s) => s.name);
  return [
    `Pipeline status at ${at} UTC: ${r.ok ? "all services up" : `${down.join(", ")} down`}`,
    "",
    ...renderServices(r.services),
    "",
    ...renderKafka(r.kafka, r.services.find((s) => s.name === "kafka")?.endpoint ?? ""),
    "",
    ...renderLake(r.lake),
    "",
    ...renderClickHouse(r.clickhouse, ch),
  ].join("\n") + "\n";
}
