import assert from "node:assert/strict";
import { clickhouseGroups, ingestStatements, resolveIngestOptions } from "./ingest.ts";
import { createdObject } from "./sql.ts";

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
