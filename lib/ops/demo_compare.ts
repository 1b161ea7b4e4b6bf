/**
 * The demo's check that the two paths agree: the lake's (DuckDB) and
 * ClickHouse's counts per event type, side by side. The comparison and its
 * rendering are pure; the rest polls ClickHouse and reads its group's lag.
 *
 * @module
 */
import type { Admin } from "kafkajs";
import { formatCount, formatElapsed, Progress } from "../core/progress.ts";
import { sleep } from "../core/process.ts";
import { type ClickHouseClient } from "../clickhouse/client.ts";
import { listQueries, runQuery } from "../clickhouse/queries.ts";
import type { DemoOptions } from "./demo_options.ts";
import { groupTopicLag, topicStatus } from "./status_kafka.ts";

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

/** ClickHouse's by-type counts (the named query `by-type`). */
async function clickhouseByType(ch: ClickHouseClient, prefix: string): Promise<TypeCount[]> {
  const q = (await listQueries()).find((x) => x.name === "by-type");
  if (!q) throw new Error('ClickHouse query "by-type" is missing from sql/clickhouse/queries/');
  return typeCounts((await runQuery(ch, q, prefix)).data, "cnt");
}

/** ClickHouse's group lag on the topic (records it has not committed yet). */
export async function clickhouseLag(admin: Admin, topic: string, group: string): Promise<number> {
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
 * Waits for ClickHouse to catch up with the lake's by-type counts, prints
 * both side by side and the verdict; returns the comparison.
 *
 * @example
 * ```ts
 * const cmp = await compareWithClickHouse(ch, opts, lakeByType, topicTotal);
 * if (!cmp.agree) console.error("they disagree");
 * ```
 */
export async function compareWithClickHouse(
  ch: ClickHouseClient,
  o: DemoOptions,
  lakeByType: readonly TypeCount[],
  topicTotal: number,
): Promise<Comparison> {
  const cmp = await waitForClickHouse(ch, o, lakeByType);
  for (const l of renderComparison(cmp, "LAKE (DuckDB)", "CLICKHOUSE")) o.out(l);
  o.out(`  Kafka topic ${o.topic}: ${formatCount(topicTotal)} events`);
  o.out(agreementLine(cmp));
  return cmp;
}
