import assert from "node:assert/strict";
import type { QueryResult } from "./client.ts";
import { formatCsv, formatTable, listQueries } from "./queries.ts";
import { splitStatements } from "./sql.ts";

Deno.test("every named query has a description and a single statement", async () => {
  const queries = await listQueries();
  assert.deepEqual(queries.map((q) => q.name), [
    "by-type",
    "easy-describe",
    "easy-head",
    "playbacks",
    "top-names",
  ]);
  for (const q of queries) {
    assert.ok(q.description.length > 0, q.name);
    assert.equal(splitStatements(q.template).length, 1, q.name);
  }
});

const sample: QueryResult = {
  meta: [{ name: "event_type", type: "String" }, { name: "cnt", type: "UInt64" }],
  data: [{ event_type: "track_playback", cnt: 1200 }, { event_type: 'a "b", c', cnt: 7 }],
};

Deno.test("formatTable aligns columns, numbers to the right", () => {
  assert.equal(
    formatTable(sample),
    [
      "event_type       cnt",
      "--------------  ----",
      "track_playback  1200",
      'a "b", c           7',
      "(2 rows)",
    ].join("\n"),
  );
});

Deno.test("formatCsv quotes what needs quoting", () => {
  assert.equal(formatCsv(sample), 'event_type,cnt\ntrack_playback,1200\n"a ""b"", c",7');
});
