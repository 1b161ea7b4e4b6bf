/**
 * Smoke tests of the real local stack: each service answers a real client, and
 * ClickHouse's Kafka client agrees with our broker.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import type { Kafka } from "kafkajs";
import { createKafka } from "../lib/kafka.ts";
import { createS3Client, getObject, listObjects, putObject } from "../lib/s3.ts";
import { defaultPaths, ourPid } from "../lib/stack.ts";
import { ROOT, runTask, testConfig, uniqueName, waitFor } from "./helpers.ts";

const cfg = testConfig();

function kafka(): Kafka {
  return createKafka({ brokers: cfg.kafkaBrokers, clientId: "stack-test" });
}

async function ch(sql: string): Promise<string> {
  const res = await fetch(`${cfg.clickhouse.url}/`, {
    method: "POST",
    body: sql,
    headers: {
      Authorization: `Basic ${btoa(`${cfg.clickhouse.user}:${cfg.clickhouse.password}`)}`,
    },
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`ClickHouse ${res.status}: ${text}`);
  return text;
}

Deno.test("kafka: produce and consume a message with kafkajs", async () => {
  const topic = uniqueName("smoke");
  const k = kafka();
  const admin = k.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const producer = k.producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ key: "k1", value: "hello" }] });
  await producer.disconnect();

  const consumer = k.consumer({ groupId: uniqueName("smoke-group") });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got = await new Promise<{ key: string; value: string }>((resolve) => {
    consumer.run({
      eachMessage: ({ message }) => {
        resolve({ key: String(message.key), value: String(message.value) });
        return Promise.resolve();
      },
    });
  });
  await consumer.disconnect();
  await admin.deleteTopics({ topics: [topic] });
  await admin.disconnect();
  assertEquals(got, { key: "k1", value: "hello" });
});

Deno.test("s3: put, list and get an object in the default bucket", async () => {
  const client = createS3Client(cfg.s3);
  const prefix = `${uniqueName("smoke")}/`;
  const body = new TextEncoder().encode("parquet soon");
  await putObject(client, cfg.s3.bucket, `${prefix}a.txt`, body);
  const listed = await listObjects(client, cfg.s3.bucket, prefix);
  assertEquals(listed, [{ key: `${prefix}a.txt`, size: body.length }]);
  assertEquals(
    new TextDecoder().decode(await getObject(client, cfg.s3.bucket, `${prefix}a.txt`)),
    "parquet soon",
  );
  client.destroy();
});

Deno.test("clickhouse: answers a query as the configured user", async () => {
  assertEquals((await ch("SELECT 1 + 1")).trim(), "2");
  assert(/^\d+\.\d+/.test((await ch("SELECT version()")).trim()));
});

Deno.test("clickhouse: a Kafka-engine table reads a message from our broker", async () => {
  const topic = uniqueName("smoke-ch");
  const table = topic.replaceAll("-", "_");
  const k = kafka();
  const admin = k.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  try {
    await ch(
      `CREATE TABLE ${table}_queue (line String) ENGINE = Kafka SETTINGS kafka_broker_list = '${
        cfg.kafkaBrokers.join(",")
      }', kafka_topic_list = '${topic}', kafka_group_name = '${table}', kafka_format = 'TabSeparated', kafka_row_delimiter = '\\n'`,
    );
    await ch(`CREATE TABLE ${table} (line String) ENGINE = MergeTree() ORDER BY line`);
    await ch(`CREATE MATERIALIZED VIEW ${table}_mv TO ${table} AS SELECT line FROM ${table}_queue`);
    const producer = k.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: "from-kafkajs" }] });
    await producer.disconnect();
    const arrived = await waitFor(
      async () =>
        (await ch(`SELECT count() FROM ${table} WHERE line = 'from-kafkajs'`)).trim() === "1",
      60_000,
    );
    assert(arrived, "ClickHouse did not ingest the message within 60 s");
  } finally {
    for (const t of [`${table}_mv`, `${table}_queue`, table]) {
      await ch(`DROP TABLE IF EXISTS ${t}`).catch(() => {});
    }
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  }
});

Deno.test("stack: status reports a killed service down and up brings it back", async () => {
  const paths = defaultPaths();
  const pid = await ourPid(paths, "s3");
  if (pid === undefined) {
    // The S3 server is not ours (e.g. docker compose): nothing of ours to kill.
    return;
  }
  Deno.kill(pid, "SIGKILL");
  await waitFor(async () => (await ourPid(paths, "s3")) === undefined, 10_000, 100);
  const status = await runTask("stack", ["status", "s3"]);
  assertEquals(status.code, 1);
  assert(/s3\s+\S+\s+-\s+down/.test(status.stdout), status.stdout);
  const upRes = await runTask("stack", ["up", "s3"]);
  assertEquals(upRes.code, 0, upRes.stderr);
  const again = await runTask("stack", ["status"]);
  assertEquals(again.code, 0, again.stdout + again.stderr);
});

Deno.test("docker-compose.yaml is a valid compose file", async () => {
  const out = await new Deno.Command("docker-compose", {
    args: ["-f", `${ROOT}docker-compose.yaml`, "config", "-q"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  const text = await Deno.readTextFile(`${ROOT}docker-compose.yaml`);
  for (const port of ["9092:9092", "19092:19092", "8080:8080", "9000:9000", "8123:8123"]) {
    assert(text.includes(`"${port}"`), `compose publishes ${port}`);
  }
  assert(!/zookeeper/i.test(text.replace(/^#.*$/gm, "")), "no ZooKeeper");
});
