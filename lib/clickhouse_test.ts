import assert from "node:assert/strict";
import { EVENT_COLUMNS } from "./events.ts";
import {
  checkTablePrefix,
  clickhouseGroups,
  clickhouseType,
  createdObject,
  describeConnectError,
  formatCsv,
  formatTable,
  ingestStatements,
  listQueries,
  parseServerError,
  type QueryResult,
  readSqlFile,
  renderSql,
  resolveIngestOptions,
  splitStatements,
  sqlString,
} from "./clickhouse.ts";

Deno.test("parseServerError reads 18.16 and modern error bodies", () => {
  assert.deepEqual(
    parseServerError(
      "Code: 193, e.displayText() = DB::Exception: Wrong password for user click, e.what() = DB::Exception\n",
    ),
    { code: 193, reason: "Wrong password for user click" },
  );
  assert.deepEqual(
    parseServerError(
      "Code: 60. DB::Exception: Table default.x does not exist. (UNKNOWN_TABLE) (version 24.3.1.1 (official build))\n",
    ),
    { code: 60, reason: "Table default.x does not exist. (UNKNOWN_TABLE)" },
  );
  assert.deepEqual(parseServerError("<html>Not Found</html>"), {
    code: undefined,
    reason: "<html>Not Found</html>",
  });
});

Deno.test("describeConnectError names the usual causes", () => {
  const refused = new TypeError(
    "error sending request for url (http://127.0.0.1:8123/): client error (Connect): tcp connect error: Connection refused (os error 111)",
  );
  assert.equal(describeConnectError(refused), "connection refused");
  assert.equal(
    describeConnectError(new TypeError("dns error: failed to lookup address information")),
    "host not found",
  );
  assert.equal(describeConnectError(new Error("something else\nmore")), "something else");
});

Deno.test("sqlString escapes quotes and backslashes", () => {
  assert.equal(sqlString("a'b\\c"), "'a\\'b\\\\c'");
  assert.equal(sqlString("127.0.0.1:9092,h:1"), "'127.0.0.1:9092,h:1'");
});

Deno.test("renderSql fills placeholders and rejects unknown ones", () => {
  assert.equal(
    renderSql("SELECT * FROM {{prefix}}t WHERE x = {{ v }}", {
      prefix: "p_",
      v: "'1'",
    }),
    "SELECT * FROM p_t WHERE x = '1'",
  );
  assert.throws(() => renderSql("{{nope}}", {}), /\{\{nope\}\} has no value/);
});

Deno.test("splitStatements drops comment lines and splits at line-ending semicolons", () => {
  const sql =
    "-- header {{x}}\nCREATE TABLE a (x String);\n\n-- c\nCREATE TABLE b (\n  s String DEFAULT 'a;b'\n);\n";
  assert.deepEqual(splitStatements(sql), [
    "CREATE TABLE a (x String)",
    "CREATE TABLE b (\n  s String DEFAULT 'a;b'\n)",
  ]);
});

Deno.test("createdObject finds the name and kind of CREATE statements", () => {
  assert.deepEqual(createdObject("CREATE TABLE IF NOT EXISTS p_x (a String)"), {
    kind: "table",
    name: "p_x",
  });
  assert.deepEqual(createdObject("create materialized view if not exists v TO t AS SELECT 1"), {
    kind: "view",
    name: "v",
  });
  assert.equal(createdObject("SELECT 1"), undefined);
});

Deno.test("resolveIngestOptions: seed defaults, validation", () => {
  const r = resolveIngestOptions({ brokers: ["127.0.0.1:9092"], prefix: undefined });
  assert.equal(r.musicTopic, "music_events");
  assert.equal(r.easyTopic, "my_topic");
  assert.notEqual(r.musicGroup, "music-sink");
  assert.equal(r.prefix, "");
  assert.throws(() => resolveIngestOptions({ brokers: ["b:1"], prefix: "a-b" }), /prefix/);
  assert.throws(() => resolveIngestOptions({ brokers: ["b:1"], musicTopic: "a b" }), /topic/);
  assert.throws(() => resolveIngestOptions({ brokers: [] }), /brokers/);
});

Deno.test("clickhouseGroups: defaults without a prefix, own groups with one", () => {
  assert.deepEqual(clickhouseGroups(""), {
    musicGroup: "clickhouse-music",
    easyGroup: "clickhouse-easy",
  });
  assert.deepEqual(clickhouseGroups("t1234_"), {
    musicGroup: "clickhouse-music-t1234",
    easyGroup: "clickhouse-easy-t1234",
  });
});

Deno.test("resolveIngestOptions: default groups follow the prefix, given groups win", () => {
  const brokers = ["b:1"];
  const plain = resolveIngestOptions({ brokers });
  assert.deepEqual([plain.musicGroup, plain.easyGroup], ["clickhouse-music", "clickhouse-easy"]);
  const test = resolveIngestOptions({ brokers, prefix: "test_" });
  assert.deepEqual([test.musicGroup, test.easyGroup], [
    "clickhouse-music-test",
    "clickhouse-easy-test",
  ]);
  const given = resolveIngestOptions({ brokers, prefix: "test_", musicGroup: "m" });
  assert.deepEqual([given.musicGroup, given.easyGroup], ["m", "clickhouse-easy-test"]);
  const undef = resolveIngestOptions({ brokers, prefix: "p_", easyGroup: undefined });
  assert.equal(undef.easyGroup, "clickhouse-easy-p");
});

Deno.test("checkTablePrefix accepts identifier-safe prefixes only", () => {
  assert.equal(checkTablePrefix(""), "");
  assert.equal(checkTablePrefix("t1_"), "t1_");
  for (const bad of ["1t_", "a-b", "x; DROP TABLE y", "a.b", "a b"]) {
    assert.throws(() => checkTablePrefix(bad), /table prefix/, bad);
  }
});

Deno.test("ingestion SQL renders completely and creates the seed's names", async () => {
  const opts = resolveIngestOptions({ brokers: ["127.0.0.1:9092"], prefix: "p_" });
  const core = [
    "p_easy_consumer_phys",
    "p_music_consumer_phys",
    "p_easy_consumer",
    "p_easy_consumer_mat_view",
    "p_music_consumer",
    "p_music_consumer_mat_view",
  ];
  const statements = await ingestStatements(opts);
  for (const s of statements) assert.ok(!s.includes("{{"), s);
  const names = statements.map((s) => createdObject(s)?.name);
  for (const n of core) assert.ok(names.includes(n), `creates ${n}`);
  const text = statements.join("\n");
  assert.match(text, /kafka_topic_list = 'music_events'/);
  assert.match(text, /kafka_group_name = 'clickhouse-music-p'/);
  assert.match(text, /kafka_broker_list = '127.0.0.1:9092'/);
  assert.match(text, /kafka_handle_error_mode = 'stream'/);
  assert.ok(!text.includes("counsumer"));
});

Deno.test("tables.sql declares the typed music columns with the types EVENT_COLUMNS implies", async () => {
  const sql = await readSqlFile("tables.sql");
  const music = /music_consumer_phys \(([\s\S]*?)\) ENGINE/.exec(sql)?.[1] ?? "";
  const types = new Map(
    music.split(",").map((l) => l.trim().split(/\s+/)).map(([n, t]) => [n, t]),
  );
  for (const c of EVENT_COLUMNS) assert.equal(types.get(c.field), clickhouseType(c.kind), c.field);
});

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
