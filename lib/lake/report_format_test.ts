import { deepStrictEqual as assertEquals, ok } from "node:assert/strict";
import type { QueryResult } from "./duckdb.ts";
import {
  cellText,
  formatCsv,
  formatJson,
  formatResults,
  formatTable,
  rowObjects,
} from "./report_format.ts";

const result: QueryResult = {
  columns: ["country", "events", "share"],
  types: ["VARCHAR", "BIGINT", "DOUBLE"],
  rows: [["Korea, Republic of", 12345, 0.5], ['Say "hi"', 7, null], [
    "Åland\nIslands",
    "90071992547409930",
    1,
  ]],
};

Deno.test("formatTable: boxed, numbers right-aligned, row count", () => {
  const t = formatTable({
    columns: ["a", "n"],
    types: ["VARCHAR", "BIGINT"],
    rows: [["x", 5], ["long", 123]],
  });
  assertEquals(t.split("\n"), [
    "┌──────┬─────┐",
    "│ a    │ n   │",
    "├──────┼─────┤",
    "│ x    │   5 │",
    "│ long │ 123 │",
    "└──────┴─────┘",
    "2 rows",
  ]);
});

Deno.test("formatCsv: RFC 4180 quoting, null empty", () => {
  assertEquals(
    formatCsv(result),
    'country,events,share\n"Korea, Republic of",12345,0.5\n"Say ""hi""",7,\n"Åland\nIslands",90071992547409930,1\n',
  );
});

Deno.test("formatJson: rows as objects keyed by report; BigInt safe", () => {
  const parsed = JSON.parse(formatJson([{ name: "top", result }]));
  assertEquals(parsed.top[0], { country: "Korea, Republic of", events: 12345, share: 0.5 });
  assertEquals(parsed.top[1].share, null);
  assertEquals(rowObjects(result).length, 3);
  const big = formatJson([{
    name: "b",
    result: { columns: ["x"], types: ["HUGEINT"], rows: [[2n ** 70n as unknown as number]] },
  }]);
  assertEquals(JSON.parse(big).b[0].x, String(2n ** 70n));
});

Deno.test("formatResults: several reports in each format", () => {
  const two = [
    { name: "one", title: "One", result },
    { name: "two", title: "Two", result },
  ];
  ok(formatResults(two, "table").startsWith("One (one)\n┌"));
  ok(formatResults(two, "csv").startsWith("# one\ncountry,"));
  assertEquals(Object.keys(JSON.parse(formatResults(two, "json"))), ["one", "two"]);
  assertEquals(formatResults([two[0]!], "csv"), formatCsv(result));
  assertEquals(cellText({ a: [1, null] }), '{"a":[1,null]}');
});
