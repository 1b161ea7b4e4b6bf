/**
 * The console's memory of the last minutes: each status snapshot adds one
 * sample per consumer-group lag, topic end offset and ClickHouse row count to
 * a bounded ring, from which the pages draw lag charts and the overview reads
 * live rates. Pure: snapshots in, numbers out.
 *
 * @module
 */
import type { StatusReport } from "../status_report.ts";

/** One sample: when, the total, and one value per partition (lag series only). */
export interface Sample {
  t: number;
  v: number;
  parts?: number[];
}

/** Live rates per second over the last {@link RATE_WINDOW_MS} (absent until two samples). */
export interface Rates {
  /** Messages appended per second, per topic. */
  topics: Record<string, number>;
  /** Offsets committed per second, per `group topic`. */
  groups: Record<string, number>;
  /** Rows inserted per second, per ClickHouse table. */
  tables: Record<string, number>;
}

/** Rates are measured over about this long. */
export const RATE_WINDOW_MS = 10_000;

/** Key of a group's position on a topic in {@link Rates.groups} and {@link History.lag}. */
export function groupKey(group: string, topic: string): string {
  return `${group} ${topic}`;
}

/** A bounded history of the pipeline's counters. */
export class History {
  readonly #max: number;
  readonly #series = new Map<string, Sample[]>();

  /** Keeps at most `maxSamples` samples per series (300 × 2 s = 10 minutes). */
  constructor(maxSamples = 300) {
    this.#max = maxSamples;
  }

  #push(key: string, s: Sample, seen: Set<string>): void {
    seen.add(key);
    const ring = this.#series.get(key) ?? [];
    ring.push(s);
    if (ring.length > this.#max) ring.splice(0, ring.length - this.#max);
    this.#series.set(key, ring);
  }

  /** Adds a snapshot; series of topics, groups and tables no longer shown are dropped. */
  add(report: StatusReport, t = Date.parse(report.generatedAt)): void {
    const seen = new Set<string>();
    if (report.kafka.available) {
      for (const topic of report.kafka.topics) {
        const end = topic.partitions.reduce((n, p) => n + p.high, 0);
        this.#push(`end:${topic.topic}`, { t, v: end }, seen);
      }
      for (const g of report.kafka.groups) {
        for (const tl of g.topics) {
          const key = groupKey(g.group, tl.topic);
          const parts = tl.partitions.map((p) => p.lag);
          this.#push(`lag:${key}`, { t, v: tl.lag, parts }, seen);
          const done = tl.partitions.reduce((n, p) => n + (p.committed ?? 0), 0);
          this.#push(`done:${key}`, { t, v: done }, seen);
        }
      }
    }
    if (report.clickhouse.available) {
      for (const tc of report.clickhouse.tables) {
        if (tc.rows !== null) this.#push(`rows:${tc.table}`, { t, v: tc.rows }, seen);
      }
    }
    // A service that is down keeps its series: the gap shows in the charts' time axis.
    for (const key of [...this.#series.keys()]) {
      const kind = key.slice(0, key.indexOf(":"));
      const stale = kind === "rows" ? report.clickhouse.available : report.kafka.available;
      if (stale && !seen.has(key)) this.#series.delete(key);
    }
  }

  /** Lag samples of `group` on `topic`, oldest first. */
  lag(group: string, topic: string): Sample[] {
    return [...(this.#series.get(`lag:${groupKey(group, topic)}`) ?? [])];
  }

  /** Per-second growth of one series over the last `windowMs`; undefined with one sample. */
  #rate(key: string, windowMs: number): number | undefined {
    const ring = this.#series.get(key);
    if (!ring || ring.length < 2) return undefined;
    const last = ring.at(-1)!;
    let first = ring[0]!;
    for (const s of ring) {
      if (last.t - s.t >= windowMs) first = s;
      else break;
    }
    const dt = (last.t - first.t) / 1000;
    return dt > 0 ? Math.max(0, (last.v - first.v) / dt) : undefined;
  }

  /** Current rates of every topic, group and table. */
  rates(windowMs = RATE_WINDOW_MS): Rates {
    const out: Rates = { topics: {}, groups: {}, tables: {} };
    for (const key of this.#series.keys()) {
      const i = key.indexOf(":");
      const [kind, name] = [key.slice(0, i), key.slice(i + 1)];
      const r = this.#rate(key, windowMs);
      if (r === undefined) continue;
      if (kind === "end") out.topics[name] = r;
      else if (kind === "done") out.groups[name] = r;
      else if (kind === "rows") out.tables[name] = r;
    }
    return out;
  }
}
