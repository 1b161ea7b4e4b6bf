import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import { findReport, REPORTS, reportSql, SEED_REPORTS } from "./reports.ts";

Deno.test("REPORTS: the seed's four and the analyst's eight, each with its SQL file", async () => {
  assertEquals(REPORTS.map((r) => r.name), [
    "count",
    "schema",
    "head",
    "playbacks",
    "by-type",
    "top-tracks",
    "top-countries",
    "active-users",
    "per-minute",
    "pause-rate",
    "by-hour",
    "platforms",
  ]);
  ok(SEED_REPORTS.every((n) => findReport(n)));
  for (const r of REPORTS) {
    const sql = await reportSql(r.name);
    ok(/\bFROM (events|\(DESCRIBE raw_events\))/.test(sql), r.name);
    // Row-listing reports take their limit as a bound parameter, never pasted.
    assertEquals(sql.includes("$limit"), r.limit !== undefined, r.name);
  }
});
