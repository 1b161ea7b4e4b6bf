import assert from "node:assert/strict";
import { EVENT_COLUMNS } from "../events/schema.ts";
import {
  checkTablePrefix,
  clickhouseType,
  createdObject,
  kafkaSettings,
  readSqlFile,
  renderSql,
  sortingKey,
  splitStatements,
  sqlString,
  tableLayout,
  viewFlow,
} from "./sql.ts";

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

Deno.test("checkTablePrefix accepts identifier-safe prefixes only", () => {
  assert.equal(checkTablePrefix(""), "");
  assert.equal(checkTablePrefix("t1_"), "t1_");
  for (const bad of ["1t_", "a-b", "x; DROP TABLE y", "a.b", "a b"]) {
    assert.throws(() => checkTablePrefix(bad), /table prefix/, bad);
  }
});

Deno.test("tables.sql declares the typed music columns with the types EVENT_COLUMNS implies", async () => {
  const sql = await readSqlFile("tables.sql");
  const music = /music_consumer_phys \(([\s\S]*?)\) ENGINE/.exec(sql)?.[1] ?? "";
  const types = new Map(
    music.split(",").map((l) => l.trim().split(/\s+/)).map(([n, t]) => [n, t]),
  );
  for (const c of EVENT_COLUMNS) assert.equal(types.get(c.field), clickhouseType(c.kind), c.field);
});

Deno.test("kafkaSettings reads the settings of SHOW CREATE TABLE (18.16 and modern)", () => {
  const v18 = "CREATE TABLE default.music_consumer ( message String) ENGINE = Kafka SETTINGS " +
    "kafka_broker_list = '127.0.0.1:9092', kafka_topic_list = 'music_events', " +
    "kafka_group_name = 'clickhouse-music', kafka_format = 'TabSeparated', " +
    "kafka_row_delimiter = '\\n'";
  const s = kafkaSettings(v18);
  assert.equal(s.kafka_topic_list, "music_events");
  assert.equal(s.kafka_group_name, "clickhouse-music");
  assert.equal(s.kafka_row_delimiter, "n");
  const modern =
    "CREATE TABLE default.music_consumer\n(\n    `message` String\n)\nENGINE = Kafka\n" +
    "SETTINGS kafka_broker_list = 'kafka:19092', kafka_topic_list = 'x.y-z', " +
    "kafka_group_name = 'g', kafka_format = 'JSONAsString'";
  assert.equal(kafkaSettings(modern).kafka_topic_list, "x.y-z");
});

Deno.test("tableLayout reads engine and sorting key as system.tables shows them", async () => {
  const statements = [
    ...splitStatements(await readSqlFile("tables.sql")),
    ...splitStatements(await readSqlFile("ingest.sql")),
  ];
  const layout = (name: string) =>
    tableLayout(statements.find((s) => s.includes(`EXISTS {{prefix}}${name} (`))!);
  assert.deepEqual(layout("music_consumer_phys"), {
    engine: "ReplacingMergeTree",
    sortingKey: "event_type_id, event_time, user_id, kafka_partition, kafka_offset",
  });
  assert.deepEqual(layout("easy_consumer_phys"), { engine: "MergeTree", sortingKey: "uuid" });
  assert.deepEqual(layout("kafka_errors"), {
    engine: "MergeTree",
    sortingKey: "topic, partition, offset",
  });
  assert.equal(layout("music_consumer"), undefined, "a Kafka table has none");
  assert.deepEqual(tableLayout("CREATE TABLE t (a Int8) ENGINE = MergeTree ORDER BY a"), {
    engine: "MergeTree",
    sortingKey: "a",
  });
});

Deno.test("sortingKey reads ORDER BY text and system.tables' form alike", () => {
  assert.equal(sortingKey("(uuid)"), "uuid");
  assert.equal(sortingKey("uuid"), "uuid");
  assert.equal(sortingKey("(a,  b)"), "a, b");
  assert.equal(sortingKey("a, b"), "a, b");
});

Deno.test("viewFlow reads where a view reads and writes; other statements have neither", async () => {
  const statements = splitStatements(await readSqlFile("ingest.sql"))
    .map((s) => s.replaceAll("{{prefix}}", "p_"));
  const flow = (name: string) =>
    viewFlow(statements.find((s) => s.includes(`EXISTS p_${name}\n`))!);
  assert.deepEqual(flow("music_consumer_mat_view"), {
    from: "p_music_consumer",
    to: "p_music_consumer_phys",
  });
  assert.deepEqual(flow("easy_consumer_errors_mat_view"), {
    from: "p_easy_consumer",
    to: "p_kafka_errors",
  });
  assert.deepEqual(viewFlow("CREATE VIEW v AS SELECT 1"), { from: undefined, to: undefined });
  assert.deepEqual(viewFlow("CREATE TABLE t (a Int8) ENGINE = Memory"), {});
});
