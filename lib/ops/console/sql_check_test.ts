import assert from "node:assert/strict";
import { checkParseTree, checkSqlText, referencedNames, stripLiterals } from "./sql_check.ts";

Deno.test("console SQL box: only one SELECT or WITH statement passes the text check", () => {
  assert.equal(checkSqlText("SELECT count(*) FROM events"), undefined);
  assert.equal(checkSqlText("with a as (select 1) select * from a;"), undefined);
  assert.equal(checkSqlText("SELECT 'copy; set' AS x -- drop"), undefined);
  for (
    const bad of [
      "",
      "COPY events TO 'x.csv'",
      "ATTACH 'x.db'",
      "INSTALL httpfs",
      "LOAD httpfs",
      "PRAGMA version",
      "SET threads = 1",
      "SELECT 1; SELECT 2",
      "WITH a AS (SELECT 1) INSERT INTO t SELECT * FROM a",
      "SELECT 1 /* */; CREATE TABLE t (a INT)",
    ]
  ) {
    assert.notEqual(checkSqlText(bad), undefined, bad);
  }
});

Deno.test("console SQL box: literals and comments are blanked before keyword checks", () => {
  assert.equal(stripLiterals(`SELECT 'a;b', "c;d" -- e;f`).includes(";"), false);
});

Deno.test("console SQL box: the parse tree refuses secrets, settings, files and query()", () => {
  const tree = (fn: string, table?: string) =>
    JSON.stringify({
      error: false,
      statements: [{
        node: {
          from_table: table ? { type: "BASE_TABLE", table_name: table } : {
            type: "TABLE_FUNCTION",
            function: { class: "FUNCTION", function_name: fn },
          },
        },
      }],
    });
  assert.equal(checkParseTree(tree("", "events")), undefined);
  for (
    const fn of ["duckdb_secrets", "query", "read_text", "read_parquet", "glob", "current_setting"]
  ) {
    assert.match(checkParseTree(tree(fn)) ?? "", /not allowed/, fn);
  }
  assert.match(checkParseTree(tree("", "/etc/passwd")) ?? "", /not allowed/);
  assert.match(
    checkParseTree(`{"error":true,"error_message":"Only SELECT statements can be serialized"}`) ??
      "",
    /only a SELECT/,
  );
  assert.match(checkParseTree(`{"error":false,"statements":[{},{}]}`) ?? "", /exactly one/);
  assert.deepEqual(referencedNames({ a: [{ function_name: "Foo" }, { table_name: "events" }] }), [
    "foo",
    "events",
  ]);
});
