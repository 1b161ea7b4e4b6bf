/**
 * Renders a {@link StatusReport} as text, section by section. Pure.
 *
 * @module
 */
import { formatBytes, formatCount } from "../core/progress.ts";
import {
  type ClickHouseStatus,
  isKafkaService,
  type KafkaStatus,
  type LakeStatus,
  type Section,
  type ServiceState,
  type StatusReport,
} from "./status_report.ts";

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

/**
 * The report as text, section by section. Pure.
 *
 * @example
 * ```ts
 * await writeStdout(renderStatus(await gatherStatus(opts)));
 * ```
 */
export function renderStatus(r: StatusReport): string {
  const at = r.generatedAt.slice(0, 19).replace("T", " ");
  const ch = r.services.find((s) => s.name === "clickhouse")?.endpoint ?? "";
  const down = r.services.filter((s) => !s.up).map((s) => s.name);
  return [
    `Pipeline status at ${at} UTC: ${r.ok ? "all services up" : `${down.join(", ")} down`}`,
    "",
    ...renderServices(r.services),
    "",
    ...renderKafka(
      r.kafka,
      r.services.filter((s) => isKafkaService(s.name)).map((s) => s.endpoint).join(","),
    ),
    "",
    ...renderLake(r.lake),
    "",
    ...renderClickHouse(r.clickhouse, ch),
  ].join("\n") + "\n";
}
