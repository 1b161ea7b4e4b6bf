/**
 * ClickHouse ingestion against the real server and broker: each test uses its
 * own topics, consumer groups and table prefix, and drops them afterwards.
 */
import assert from "node:assert/strict";
import { type Admin, CompressionTypes, type Producer } from "kafkajs";
import { loadConfig } from "../lib/core/env.ts";
import { UserError } from "../lib/core/errors.ts";
import { compressionType, createKafka } from "../lib/kafka/client.ts";
import { encodeEvent } from "../lib/events/codec.ts";
import { EventGenerator } from "../lib/events/generator.ts";
import { EVENT_COLUMNS } from "../lib/events/schema.ts";
import { ClickHouseClient } from "../lib/clickhouse/client.ts";
import {
  dropClickHouse,
  type IngestOptions,
  ingestStatements,
  initClickHouse,
  resolveIngestOptions,
} from "../lib/clickhouse/ingest.ts";
import { listQueries, runQuery } from "../lib/clickhouse/queries.ts";
import { clickhouseType } from "../lib/clickhouse/sql.ts";
import { defaultPaths, down, upService } from "../lib/stack/stack.ts";
import { kafkaSettings } from "../lib/clickhouse/sql.ts";
import { ensureStack, runTask, stopsService, waitFor } from "./helpers.ts";
import { dropKafkaResources } from "./sink_helpers.ts";

await ensureStack();

const config = loadConfig();
const client = new ClickHouseClient(config.clickhouse);
const opts = { sanitizeOps: false, sanitizeResources: false };

/** Unique names for one test: topics, groups, table prefix. */
function isolated(): IngestOptions & { musicTopic: string; easyTopic: string; prefix: string } {
  const id = crypto.randomUUID().slice(0, 8);
  return {
    brokers: config.kafkaBrokers,
    musicTopic: `ch_music_${id}`,
    easyTopic: `ch_easy_${id}`,
    musicGroup: `clickhouse-music-${id}`,
    easyGroup: `clickhouse-easy-${id}`,
    prefix: `t${id}_`,
  };
}

/** Rows of `table`; with `final`, the rows of one Kafka message count once. */
async function count(table: string, final = false): Promise<number> {
  const r = await client.query<{ n: number }>(
    `SELECT count() AS n FROM ${table}${final ? " SETTINGS final = 1" : ""}`,
  );
  return Number(r.data[0]!.n);
}

/** Polls until `table` holds `expected` rows (or the deadline passes); returns the last count. */
async function waitForCount(table: string, expected: number, ms = 60_000): Promise<number> {
  const deadline = Date.now() + ms;
  let n = await count(table);
  while (n < expected && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    n = await count(table);
  }
  return n;
}

/** True once `group` has committed every partition of `topic` up to its end offset. */
async function caughtUp(admin: Admin, group: string, topic: string): Promise<boolean> {
  const [ends, committed] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId: group, topics: [topic] }),
  ]);
  const done = new Map(
    committed[0]?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? [],
  );
  return ends.every((e) => done.get(e.partition) === Number(e.high));
}

/**
 * Waits until ClickHouse's `group` has committed all of `topic` (so every row it will ever
 * insert from it is in), failing the test after `ms`.
 */
async function settled(admin: Admin, group: string, topic: string, ms = 60_000): Promise<void> {
  assert.ok(
    await waitFor(() => caughtUp(admin, group, topic), ms),
    `ClickHouse's group ${group} did not commit the end of ${topic} within ${ms / 1000} s`,
  );
}

/** Drops the test's tables, then its topics and ClickHouse's groups (once it has left them). */
async function dropAll(names: ReturnType<typeof isolated>): Promise<void> {
  try {
    await dropClickHouse(client, names);
  } finally {
    await dropKafkaResources({
      topics: [names.musicTopic, names.easyTopic],
      groups: [names.musicGroup!, names.easyGroup!],
    });
  }
}

/**
 * Runs `fn` with the test's topics created (the music one with `partitions`)
 * and a connected admin and producer; then drops the test's tables, topics and
 * groups.
 */
async function withTopics(
  names: ReturnType<typeof isolated>,
  partitions: number,
  fn: (admin: Admin, producer: Producer) => Promise<void>,
): Promise<void> {
  const kafka = createKafka({ brokers: config.kafkaBrokers });
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true });
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [
        { topic: names.musicTopic, numPartitions: partitions },
        { topic: names.easyTopic, numPartitions: 1 },
      ],
      waitForLeaders: true,
    });
    await producer.connect();
    await fn(admin, producer);
  } finally {
    await producer.disconnect().catch(() => {});
    await admin.disconnect().catch(() => {});
    await dropAll(names);
  }
}

Deno.test(
  "clickhouse: N music events and M person records arrive exactly once",
  opts,
  async (t) => {
    const names = isolated();
    const p = names.prefix;
    const kafka = createKafka({ brokers: config.kafkaBrokers });
    const admin = kafka.admin();
    await admin.connect();
    const producer = kafka.producer({ idempotent: true });
    try {
      // Topics first: librdkafka only notices a topic created after it subscribed on its
      // next metadata refresh (minutes).
      await admin.createTopics({
        topics: [{ topic: names.musicTopic, numPartitions: 3 }, {
          topic: names.easyTopic,
          numPartitions: 1,
        }],
        waitForLeaders: true,
      });

      await t.step("init creates every object, a second init changes nothing", async () => {
        const first = await initClickHouse(client, names);
        assert.deepEqual(first.steps.map((s) => s.status), Array(9).fill("created"));
        const second = await initClickHouse(client, names);
        assert.deepEqual(second.steps.map((s) => s.status), Array(9).fill("exists"));
        assert.deepEqual(second.steps.map((s) => s.name), first.steps.map((s) => s.name));
      });

      await t.step("typed columns of music_consumer_phys match EVENT_COLUMNS", async () => {
        const d = await client.query<{ name: string; type: string }>(
          `DESCRIBE TABLE ${p}music_consumer_phys`,
        );
        const types = new Map(d.data.map((r) => [r.name, r.type]));
        for (const c of EVENT_COLUMNS) {
          assert.equal(types.get(c.field), clickhouseType(c.kind), `column ${c.field}`);
        }
        // The seed's columns are kept.
        assert.equal(types.get("event_param"), "String");
        assert.equal(types.get("event_timestamp"), "String");
        assert.equal(types.get("uuid"), "UUID");
        assert.equal(types.get("event_time"), "DateTime");
      });

      const N = 600;
      const M = 40;
      const gen = new EventGenerator({ seed: 42, users: 50, tracks: 200 });
      const events = Array.from({ length: N }, () => gen.next());
      const byType = new Map<number, number>();
      for (const e of events) {
        const id = e.event_param.event_type_id;
        byType.set(id, (byType.get(id) ?? 0) + 1);
      }
      const people = Array.from({ length: M }, (_, i) => ({
        uuid: crypto.randomUUID(),
        first_name: ["Anna", "Boris", "Clara", "Dmitri"][i % 4]!,
        last_name: `Last${i}`,
        middle_name: `Middle${i}`,
        timestamp: new Date(1_700_000_000_000 + i * 1000).toISOString(),
      }));

      await t.step("produce (zstd, as the producer's default) and wait for the rows", async () => {
        await producer.connect();
        // zstd checks that ClickHouse's librdkafka reads what `deno task produce` writes.
        for (let i = 0; i < N; i += 200) {
          await producer.send({
            topic: names.musicTopic,
            compression: compressionType("zstd"),
            messages: events.slice(i, i + 200).map((e) => ({
              key: e.event_param.user_id,
              value: new TextDecoder().decode(encodeEvent(e)),
            })),
          });
        }
        await producer.send({
          topic: names.easyTopic,
          compression: CompressionTypes.GZIP,
          messages: people.map((r) => ({ key: r.uuid, value: JSON.stringify(r) })),
        });
        const [music, easy] = await Promise.all([
          waitForCount(`${p}music_consumer_phys`, N),
          waitForCount(`${p}easy_consumer_phys`, M),
        ]);
        assert.equal(music, N, "music rows");
        assert.equal(easy, M, "person rows");
        // ClickHouse commits a block's offsets after inserting it: once both groups have
        // committed the end of their topic, nothing more can arrive and the counts are final.
        await settled(admin, names.musicGroup!, names.musicTopic);
        await settled(admin, names.easyGroup!, names.easyTopic);
        assert.equal(await count(`${p}music_consumer_phys`), N, "no duplicate music rows");
        assert.equal(await count(`${p}easy_consumer_phys`), M, "no duplicate person rows");
      });

      await t.step("typed values equal the produced events", async () => {
        const r = await client.query<{ user_id: string; ts_ms: number; event_type_id: number }>(
          `SELECT user_id, ts_ms, event_type_id, event_type, country, ipv4, uuid_track,
           toUnixTimestamp(event_time) AS t, ts FROM ${p}music_consumer_phys`,
        );
        const key = (o: Record<string, unknown>) =>
          JSON.stringify([
            o.user_id,
            o.ts_ms,
            o.event_type_id,
            o.event_type,
            o.country,
            o.ipv4,
            o.uuid_track,
          ]);
        const got = r.data.map((row) => key(row)).sort();
        const want = events.map((e) => key({ ...e.event_param, ts_ms: e.event_timestamp.ts_ms }))
          .sort();
        assert.deepEqual(got, want);
        for (const row of r.data as unknown as { t: number; ts: number }[]) {
          assert.equal(row.t, row.ts);
        }
      });

      await t.step("every named query returns its expected shape", async () => {
        const expected: Record<string, string[]> = {
          "easy-head": ["uuid", "first_name", "last_name", "middle_name", "timestamp"],
          "easy-describe": ["name", "type"],
          "top-names": ["first_name", "cnt"],
          "playbacks": ["event_time", "event_type_id", "event_type", "user_id", "uuid_track"],
          "by-type": ["event_type_id", "event_type", "cnt"],
        };
        const queries = await listQueries();
        assert.deepEqual(queries.map((q) => q.name).sort(), Object.keys(expected).sort());
        const results = new Map<string, Awaited<ReturnType<typeof runQuery>>>();
        for (const q of queries) {
          const r = await runQuery(client, q, p);
          results.set(q.name, r);
          const cols = r.meta.map((m) => m.name);
          for (const c of expected[q.name]!) assert.ok(cols.includes(c), `${q.name} has ${c}`);
        }
        const byTypeRows = results.get("by-type")!.data as {
          event_type_id: number;
          cnt: number;
        }[];
        assert.deepEqual(
          new Map(byTypeRows.map((r) => [r.event_type_id, r.cnt])),
          byType,
        );
        assert.equal(results.get("easy-head")!.data.length, 10);
        assert.equal(results.get("easy-describe")!.data.length, 5);
        const top = results.get("top-names")!.data as { first_name: string; cnt: number }[];
        assert.equal(top.length, 4);
        assert.equal(top.reduce((a, r) => a + r.cnt, 0), M);
        const plays = results.get("playbacks")!.data as { event_type_id: number }[];
        assert.equal(plays.length, Math.min(20, byType.get(1) ?? 0));
        assert.ok(plays.every((r) => r.event_type_id === 1));
      });
    } finally {
      await producer.disconnect().catch(() => {});
      await admin.disconnect();
      await dropAll(names);
    }
  },
);

Deno.test("clickhouse: wrong password and unreachable server give one clear line", async () => {
  const wrong = new ClickHouseClient({ ...config.clickhouse, password: "not-the-password" });
  await assert.rejects(() => wrong.version(), (e: Error) => {
    assert.ok(e instanceof UserError);
    assert.equal(
      e.message,
      `ClickHouse at ${config.clickhouse.url} rejected user "${config.clickhouse.user}": ` +
        "wrong password or no such user",
    );
    return true;
  });
  const nobody = new ClickHouseClient({ ...config.clickhouse, user: "no_such_user_x" });
  await assert.rejects(() => nobody.version(), /rejected user "no_such_user_x"/);
  // A port nothing listens on (picked by binding and closing it).
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const down = new ClickHouseClient({ ...config.clickhouse, url: `http://127.0.0.1:${port}` });
  await assert.rejects(
    () => down.version(),
    new UserError(`Cannot connect to ClickHouse at http://127.0.0.1:${port}: connection refused`),
  );
});

Deno.test("clickhouse: --drop recreates the objects", opts, async () => {
  const names = isolated();
  try {
    await initClickHouse(client, names);
    await client.exec(
      `INSERT INTO ${names.prefix}easy_consumer_phys VALUES ('u', 'f', 'l', 'm', 't')`,
    );
    const r = await initClickHouse(client, { ...names, drop: true });
    assert.equal(r.steps.filter((s) => s.status === "dropped").length, 9);
    assert.equal(r.steps.filter((s) => s.status === "created").length, 9);
    assert.equal(await count(`${names.prefix}easy_consumer_phys`), 0);
  } finally {
    await dropAll(names);
  }
});

Deno.test(
  "clickhouse: init replaces Kafka tables whose brokers changed, with their views; data stays",
  opts,
  async () => {
    const names = isolated();
    const p = names.prefix;
    try {
      await initClickHouse(client, names);
      await client.exec(`INSERT INTO ${p}easy_consumer_phys VALUES ('u', 'f', 'l', 'm', 't')`);
      // The same brokers under another name, as when KAFKA_BROKERS comes to list a cluster.
      const brokers = names.brokers.map((b) => b.replace("127.0.0.1", "localhost"));
      const r = await initClickHouse(client, { ...names, brokers });
      const named = (status: string) =>
        r.steps.filter((s) => s.status === status).map((s) => s.name).sort();
      assert.deepEqual(
        named("replaced"),
        [
          "easy_consumer",
          "easy_consumer_errors_mat_view",
          "easy_consumer_mat_view",
          "music_consumer",
          "music_consumer_errors_mat_view",
          "music_consumer_mat_view",
        ].map((n) => p + n),
      );
      assert.deepEqual(named("exists"), [
        `${p}easy_consumer_phys`,
        `${p}kafka_errors`,
        `${p}music_consumer_phys`,
      ]);
      assert.equal(
        r.steps.find((s) => s.name === `${p}music_consumer`)?.why,
        `kafka_broker_list '${names.brokers.join(",")}' → '${brokers.join(",")}'`,
      );
      const show = await client.query<{ statement: string }>(
        `SHOW CREATE TABLE ${p}music_consumer`,
      );
      assert.equal(kafkaSettings(show.data[0]!.statement).kafka_broker_list, brokers.join(","));
      assert.equal(await count(`${p}easy_consumer_phys`), 1);
      const again = await initClickHouse(client, { ...names, brokers });
      assert.deepEqual(again.steps.map((s) => s.status), Array(9).fill("exists"));
      // Another topic is another stream: that table is left alone (the demo refuses it).
      const other = await initClickHouse(client, {
        ...names,
        musicTopic: `${names.musicTopic}_other`,
      });
      assert.equal(other.steps.find((s) => s.name === `${p}music_consumer`)?.status, "exists");
    } finally {
      await dropAll(names);
    }
  },
);

Deno.test(
  "clickhouse: a message read twice (offsets not committed) is one row for queries, status and the demo",
  opts,
  async () => {
    const names = isolated();
    const p = names.prefix;
    const N = 300;
    await withTopics(names, 3, async (admin, producer) => {
      await initClickHouse(client, names);
      // Merges would drop the second copies early, and the raw count below would never reach 2N.
      await client.exec(`SYSTEM STOP MERGES ${p}music_consumer_phys`);
      await produceMusic(producer, names.musicTopic, N, 9);
      assert.equal(await waitForCount(`${p}music_consumer_phys`, N), N);
      await settled(admin, names.musicGroup!, names.musicTopic);
      // What a failed commit does: the group's offsets go back and ClickHouse reads it all again.
      await client.exec(`DROP TABLE ${p}music_consumer_mat_view`);
      await client.exec(`DROP TABLE ${p}music_consumer_errors_mat_view`);
      await client.exec(`DROP TABLE ${p}music_consumer`);
      assert.ok(
        await waitFor(async () => {
          try {
            await admin.resetOffsets({
              groupId: names.musicGroup!,
              topic: names.musicTopic,
              earliest: true,
            });
            return true;
          } catch {
            return false; // the dropped consumer is still a member until its session ends
          }
        }, 30_000),
        "the group's offsets could not be reset",
      );
      await initClickHouse(client, names);
      assert.equal(await waitForCount(`${p}music_consumer_phys`, 2 * N), 2 * N, "read twice");
      await settled(admin, names.musicGroup!, names.musicTopic);
      assert.equal(await count(`${p}music_consumer_phys`, true), N);
      const byType = await runQuery(
        client,
        (await listQueries()).find((q) => q.name === "by-type")!,
        p,
      );
      assert.equal(byType.data.reduce((sum, r) => sum + Number(r.cnt), 0), N, "by-type");
      const status = await runTask("status", ["--format", "json", "--clickhouse-prefix", p]);
      const tables = JSON.parse(status.stdout).clickhouse.tables as {
        table: string;
        rows: number;
      }[];
      assert.equal(tables.find((t) => t.table === `${p}music_consumer_phys`)?.rows, N, "status");
    });
  },
);

Deno.test(
  "clickhouse: init rebuilds a music_consumer_phys of the older layout, keeping every row; ingestion resumes",
  opts,
  async () => {
    const names = isolated();
    const p = names.prefix;
    await withTopics(names, 3, async (_admin, producer) => {
      // What an earlier version made: the MergeTree without kafka_partition/kafka_offset, fed
      // by a view without them; two of its rows are identical.
      await initClickHouse(client, names);
      await client.exec(`DROP TABLE ${p}music_consumer_mat_view`);
      await client.exec(`DROP TABLE ${p}music_consumer_phys`);
      await client.exec(
        `CREATE TABLE ${p}music_consumer_phys (event_param String, event_timestamp String,
         uuid UUID DEFAULT generateUUIDv4(), event_type_id Int32, event_type String, user_id UUID,
         platform_token String, ipv4 String, country String, uuid_track UUID, ts Int64,
         ts_ms Int64, event_time DateTime, ingested_at DateTime DEFAULT now())
         ENGINE = MergeTree() PARTITION BY toYYYYMM(event_time)
         ORDER BY (event_type_id, event_time, user_id)`,
      );
      const view = (await ingestStatements(resolveIngestOptions(names)))
        .find((s) => s.includes(`VIEW IF NOT EXISTS ${p}music_consumer_mat_view`))!;
      const oldView = view.replace(
        /,\s*toInt32\(_partition\) AS kafka_partition,\s*toInt64\(_offset\) AS kafka_offset/,
        "",
      );
      assert.ok(!oldView.includes("kafka_offset"), oldView);
      await client.exec(oldView);
      await client.exec(
        `INSERT INTO ${p}music_consumer_phys (event_type_id, event_time, country) VALUES
         (1, '2026-11-26 10:00:00', 'NL'), (1, '2026-11-26 10:00:00', 'NL'),
         (2, '2026-11-26 10:00:01', 'DE')`,
      );

      const r = await initClickHouse(client, names);
      const named = (status: string) =>
        r.steps.filter((s) => s.status === status).map((s) => s.name).sort();
      assert.deepEqual(
        named("replaced"),
        [
          "music_consumer",
          "music_consumer_errors_mat_view",
          "music_consumer_mat_view",
          "music_consumer_phys",
        ].map((n) => p + n),
        "the table, and its Kafka table with both views (paused while the rows were copied)",
      );
      assert.match(
        r.steps.find((s) => s.name === `${p}music_consumer_phys`)?.why ?? "",
        /^engine MergeTree → ReplacingMergeTree, order by .*; 3 rows kept$/,
      );
      // The copy's table is gone (it was exchanged with the old one, then dropped).
      const tables = await client.query<{ name: string; engine: string }>(
        `SELECT name, engine FROM system.tables WHERE database = currentDatabase()
         AND name LIKE '${p}music_consumer_phys%'`,
      );
      assert.deepEqual(tables.data, [{
        name: `${p}music_consumer_phys`,
        engine: "ReplacingMergeTree",
      }]);
      const old = await client.query<{ n: number; offsets: number; partition: number }>(
        `SELECT count() AS n, uniqExact(kafka_offset) AS offsets, max(kafka_partition) AS partition
         FROM ${p}music_consumer_phys SETTINGS final = 1`,
      );
      assert.deepEqual(
        old.data.map((x) => [Number(x.n), Number(x.offsets), Number(x.partition)]),
        [[3, 3, -1]],
        "old rows stay apart, even identical ones",
      );
      const again = await initClickHouse(client, names);
      assert.deepEqual(again.steps.map((s) => s.status), Array(9).fill("exists"));

      // Ingestion goes on into the new layout.
      await produceMusic(producer, names.musicTopic, 50, 11);
      assert.equal(await waitForCount(`${p}music_consumer_phys`, 53), 53);
      const fresh = await client.query<{ n: number }>(
        `SELECT count() AS n FROM ${p}music_consumer_phys WHERE kafka_partition >= 0`,
      );
      assert.equal(Number(fresh.data[0]!.n), 50);
    });
  },
);

Deno.test("clickhouse: init --prefix gives the tables their own groups", opts, async () => {
  const names = isolated();
  try {
    const r = await runTask("clickhouse:init", [
      "--prefix",
      names.prefix,
      "--music-topic",
      names.musicTopic,
      "--easy-topic",
      names.easyTopic,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const tag = names.prefix.replace(/_$/, "");
    for (const [table, group] of [["music", "clickhouse-music"], ["easy", "clickhouse-easy"]]) {
      const show = await client.query<{ statement: string }>(
        `SHOW CREATE TABLE ${names.prefix}${table}_consumer`,
      );
      assert.equal(
        kafkaSettings(show.data[0]!.statement).kafka_group_name,
        `${group}-${tag}`,
      );
    }
  } finally {
    await dropAll(names);
  }
});

Deno.test("clickhouse: query --prefix is validated before it reaches SQL", opts, async () => {
  const r = await runTask("clickhouse:query", ["by-type", "--prefix", "x; DROP TABLE y --"]);
  assert.equal(r.code, 1);
  assert.equal(
    r.stderr,
    'error: table prefix "x; DROP TABLE y --" must be letters, digits and _ and not start with a digit\n',
  );
});

/** Produces `n` generated music events (seeded) to `topic`, as the producer writes them. */
async function produceMusic(producer: Producer, topic: string, n: number, seed: number) {
  const gen = new EventGenerator({ seed, users: 20, tracks: 50 });
  await producer.send({
    topic,
    compression: compressionType("zstd"),
    messages: Array.from({ length: n }, () => {
      const e = gen.next();
      return { key: e.event_param.user_id, value: new TextDecoder().decode(encodeEvent(e)) };
    }),
  });
}

Deno.test(
  "clickhouse: a bad message on either topic lands in kafka_errors and ingestion goes on",
  opts,
  async () => {
    const names = isolated();
    const p = names.prefix;
    await withTopics(names, 1, async (admin, producer) => {
      await initClickHouse(client, names);
      await produceMusic(producer, names.musicTopic, 50, 1); // offsets 0..49
      await producer.send({ topic: names.musicTopic, messages: [{ value: "not json {" }] }); // 50
      await produceMusic(producer, names.musicTopic, 30, 2); // 51..80
      const person = (i: number) =>
        JSON.stringify({
          uuid: crypto.randomUUID(),
          first_name: "Anna",
          last_name: `L${i}`,
          middle_name: "M",
          timestamp: "2026-01-01T00:00:00Z",
        });
      await producer.send({
        topic: names.easyTopic,
        messages: [{ value: person(0) }, { value: '{"uuid": ' }, { value: person(2) }],
      });
      const errorsOf = async () =>
        (await client.query<{ topic: string; partition: number; offset: number; error: string }>(
          `SELECT topic, partition, offset, raw_message, error FROM ${p}kafka_errors ORDER BY topic`,
        )).data;
      let errors = await errorsOf();
      const deadline = Date.now() + 60_000;
      while (errors.length < 2 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500));
        errors = await errorsOf();
      }
      assert.deepEqual(
        errors.map((e) => [e.topic, Number(e.partition), Number(e.offset)]).sort(),
        [[names.easyTopic, 0, 1], [names.musicTopic, 0, 50]].sort(),
      );
      for (const e of errors) assert.ok(e.error.length > 0, "the reason is kept");
      assert.ok(
        errors.some((e) => (e as unknown as { raw_message: string }).raw_message === "not json {"),
      );
      // Everything around the bad messages arrives.
      assert.equal(await waitForCount(`${p}music_consumer_phys`, 80), 80);
      assert.equal(await waitForCount(`${p}easy_consumer_phys`, 2), 2);
      await settled(admin, names.musicGroup!, names.musicTopic);
      await settled(admin, names.easyGroup!, names.easyTopic);
      assert.equal(await count(`${p}music_consumer_phys`), 80, "no duplicate music rows");
      assert.equal(await count(`${p}easy_consumer_phys`), 2, "no duplicate person rows");
    });
  },
);

Deno.test({
  ...await stopsService(
    "clickhouse: a restart resumes from the committed offsets within seconds, no duplicates",
    "clickhouse",
  ),
  ...opts,
}, async () => {
  const names = isolated();
  const p = names.prefix;
  const paths = defaultPaths();
  const kafka = createKafka({ brokers: config.kafkaBrokers });
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true });
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic: names.musicTopic, numPartitions: 3 }, { topic: names.easyTopic }],
      waitForLeaders: true,
    });
    await initClickHouse(client, names);
    await producer.connect();
    await produceMusic(producer, names.musicTopic, 500, 3);
    assert.equal(await waitForCount(`${p}music_consumer_phys`, 500), 500);
    await settled(admin, names.musicGroup!, names.musicTopic);

    await down(paths, () => {}, ["clickhouse"]);
    await produceMusic(producer, names.musicTopic, 300, 4); // arrives while ClickHouse is down
    const restarted = Date.now();
    await upService(paths, config, "clickhouse", { timeoutSec: 120, say: () => {} });
    assert.equal(await waitForCount(`${p}music_consumer_phys`, 800, 90_000), 800);
    console.log(`  resumed after ${((Date.now() - restarted) / 1000).toFixed(1)} s`);
    await settled(admin, names.musicGroup!, names.musicTopic);
    // Every offset is committed, so nothing is left to arrive: the count is final.
    assert.equal(await count(`${p}music_consumer_phys`), 800, "no duplicates");
  } finally {
    await producer.disconnect().catch(() => {});
    await upService(paths, config, "clickhouse", { timeoutSec: 120, say: () => {} });
    await admin.disconnect();
    await dropAll(names);
  }
});
