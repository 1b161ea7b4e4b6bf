import assert from "node:assert/strict";
import type { StatusReport } from "../status_report.ts";
import { History } from "./history.ts";

function report(t: number, end: number, committed: number, rows: number): StatusReport {
  const topic = {
    topic: "t",
    exists: true,
    partitions: [{ partition: 0, low: 0, high: end }],
    messages: end,
  };
  return {
    generatedAt: new Date(t).toISOString(),
    ok: true,
    services: [],
    kafka: {
      available: true,
      topics: [topic],
      groups: [{
        group: "g",
        state: "Stable",
        members: 1,
        lag: end - committed,
        topics: [{
          topic: "t",
          lag: end - committed,
          partitions: [{ partition: 0, committed, end, lag: end - committed }],
        }],
      }],
      dlq: { topic: "t.dlq", exists: false, messages: 0 },
    },
    lake: { available: false, reason: "down" },
    clickhouse: { available: true, version: "26", tables: [{ table: "m", rows }] },
  };
}

Deno.test("console history: rates over the window and a bounded lag ring", () => {
  const h = new History(3);
  h.add(report(0, 100, 0, 0));
  assert.deepEqual(h.rates(), { topics: {}, groups: {}, tables: {} });
  h.add(report(10_000, 1100, 500, 200));
  const r = h.rates();
  assert.equal(r.topics["t"], 100);
  assert.equal(r.groups["g t"], 50);
  assert.equal(r.tables["m"], 20);
  h.add(report(12_000, 1100, 1100, 200));
  h.add(report(14_000, 1100, 1100, 200));
  const lag = h.lag("g", "t");
  assert.deepEqual(lag.map((s) => s.v), [600, 0, 0]);
  assert.deepEqual(lag[0]!.parts, [600]);
});
