/**
 * Smoke tests of the real local stack: each service answers a real client, and
 * ClickHouse's Kafka client agrees with our broker.
 */
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import type { Kafka } from "kafkajs";
import { createKafka } from "../lib/kafka/client.ts";
import { createS3Client, deletePrefix, getObject, listObjects, putObject } from "../lib/lake/s3.ts";
import { pythonPackage } from "../lib/stack/installers.ts";
import { ourPid } from "../lib/stack/processes.ts";
import { defaultPaths } from "../lib/stack/stack.ts";
import {
  ensureStack,
  ROOT,
  runTask,
  stopsService,
  testConfig,
  uniqueName,
  waitFor,
} from "./helpers.ts";
import { dropKafkaResources } from "./sink_helpers.ts";

await ensureStack();

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
  const groupId = uniqueName("smoke-group");
  const k = kafka();
  const admin = k.admin();
  const consumer = k.consumer({ groupId });
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    const producer = k.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ key: "k1", value: "hello" }] });
    await producer.disconnect();

    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let got: { key: string; value: string } | undefined;
    await consumer.run({
      eachMessage: ({ message }) => {
        got ??= { key: String(message.key), value: String(message.value) };
        return Promise.resolve();
      },
    });
    // Joining the group and the first fetch take a few seconds; a minute means it is broken.
    assert(await waitFor(() => Promise.resolve(got !== undefined), 60_000), "no message in 60 s");
    assertEquals(got, { key: "k1", value: "hello" });
  } finally {
    await consumer.disconnect();
    await admin.disconnect();
    await dropKafkaResources({ topics: [topic], groups: [groupId] });
  }
});

Deno.test("s3: put, list and get an object in the default bucket", async () => {
  const client = createS3Client(cfg.s3);
  const prefix = `${uniqueName("smoke")}/`;
  try {
    const body = new TextEncoder().encode("parquet soon");
    await putObject(client, cfg.s3.bucket, `${prefix}a.txt`, body);
    const listed = await listObjects(client, cfg.s3.bucket, prefix);
    assertEquals(listed, [{ key: `${prefix}a.txt`, size: body.length }]);
    assertEquals(
      new TextDecoder().decode(await getObject(client, cfg.s3.bucket, `${prefix}a.txt`)),
      "parquet soon",
    );
  } finally {
    await deletePrefix(client, cfg.s3.bucket, prefix);
    client.destroy();
  }
});

Deno.test("clickhouse: answers a query as the configured user", async () => {
  assertEquals((await ch("SELECT 1 + 1")).trim(), "2");
  assert(/^\d+\.\d+/.test((await ch("SELECT version()")).trim()));
});

Deno.test("clickhouse: a wrong password is refused, and without one no table is readable", async () => {
  const table = uniqueName("auth").replaceAll("-", "_");
  await ch(`CREATE TABLE ${table} (x UInt8) ENGINE = Memory`);
  try {
    const asUser = (auth: string | undefined) =>
      fetch(`${cfg.clickhouse.url}/`, {
        method: "POST",
        body: `SELECT count() FROM ${table}`,
        headers: auth ? { Authorization: `Basic ${btoa(auth)}` } : {},
      }).then(async (r) => ({ status: r.status, body: await r.text() }));
    const wrong = await asUser(`${cfg.clickhouse.user}:${cfg.clickhouse.password}-wrong`);
    assert(wrong.status >= 400 && /Code: 516/.test(wrong.body), wrong.body);
    for (const auth of [undefined, "default:"]) {
      const r = await asUser(auth);
      assert(r.status >= 400 && /Code: (497|516|192|194)/.test(r.body), `${auth}: ${r.body}`);
    }
    assertEquals((await asUser(`${cfg.clickhouse.user}:${cfg.clickhouse.password}`)).body, "0\n");
  } finally {
    await ch(`DROP TABLE IF EXISTS ${table}`);
  }
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
    await admin.disconnect();
    // ClickHouse's consumer leaves its group once the Kafka table is dropped.
    await dropKafkaResources({ topics: [topic], groups: [table] });
  }
});

Deno.test({
  ...await stopsService("stack: status reports a killed service down and up brings it back", "s3"),
}, async () => {
  const paths = defaultPaths();
  const pid = await ourPid(paths, "s3");
  assert(pid !== undefined, "the S3 server is no longer ours");
  Deno.kill(pid, "SIGKILL");
  assert(
    await waitFor(async () => (await ourPid(paths, "s3")) === undefined, 10_000, 100),
    "the killed S3 server is still seen as running after 10 s",
  );
  const status = await runTask("stack", ["status", "s3"]);
  assertEquals(status.code, 1);
  assert(/s3\s+\S+\s+-\s+down/.test(status.stdout), status.stdout);
  const upRes = await runTask("stack", ["up", "s3"]);
  assertEquals(upRes.code, 0, upRes.stderr);
  const again = await runTask("stack", ["status"]);
  assertEquals(again.code, 0, again.stdout + again.stderr);
});

Deno.test("docker-compose.yaml is a valid compose file (compose-spec schema)", async () => {
  // No Docker here: the file is checked against the Compose Specification's JSON schema by
  // check-jsonschema, from PyPI into the stack's cache.
  const tool = await pythonPackage(defaultPaths(), "check-jsonschema", "0.39.0", () => {}, true);
  const validate = (file: string) =>
    new Deno.Command("python3", {
      args: ["-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", file],
      env: { PYTHONPATH: tool },
      stdout: "piped",
      stderr: "piped",
    }).output();
  const out = await validate(`${ROOT}docker-compose.yaml`);
  assertEquals(
    out.code,
    0,
    new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr),
  );
  // The validator does reject a broken file.
  const broken = await Deno.makeTempFile({ suffix: ".yaml" });
  await Deno.writeTextFile(broken, "services:\n  a:\n    image: x\n    portz: [1]\n");
  const bad = await validate(broken);
  await Deno.remove(broken);
  assertEquals(bad.code, 1, "an unknown key is refused");
  const text = await Deno.readTextFile(`${ROOT}docker-compose.yaml`);
  for (const port of ["9092:9092", "19092:19092", "8080:8080", "9000:9000", "8123:8123"]) {
    assert(text.includes(`"${port}"`), `compose publishes ${port}`);
  }
  assert(!/zookeeper/i.test(text.replace(/^#.*$/gm, "")), "no ZooKeeper");
});

/** A port nothing listens on (bound and closed). */
function closedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** `stack up clickhouse` against a free port with a fresh cache and state, and `env`. */
async function upClickhouseFresh(env: Record<string, string>) {
  const dir = await Deno.makeTempDir({ prefix: "stack-fresh-" });
  try {
    return await runTask("stack", ["up", "clickhouse"], {
      STACK_CACHE_DIR: `${dir}/cache`,
      STACK_STATE_DIR: `${dir}/state`,
      CLICKHOUSE_URL: `http://127.0.0.1:${closedPort()}`,
      ...env,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("stack up: a failed download (unreachable PyPI mirror) is one sentence", async () => {
  const res = await upClickhouseFresh({ PIP_INDEX_URL: `http://127.0.0.1:${closedPort()}/simple` });
  assertEquals(res.code, 1, res.stdout + res.stderr);
  const lines = res.stderr.trim().split("\n");
  assertEquals(lines.length, 1, res.stderr);
  assert(
    /^error: Could not download chdb-core 26\.9\.0 from PyPI: .+ \(check the network or PIP_INDEX_URL; full output in .+\)$/
      .test(lines[0]!),
    lines[0],
  );
});

Deno.test("stack up: a missing prerequisite (python3) is one sentence", async () => {
  // A PATH with the shell and ps, but no python3.
  const bin = await Deno.makeTempDir({ prefix: "stack-path-" });
  try {
    for (const tool of ["sh", "ps"]) {
      const path = new TextDecoder().decode(
        (await new Deno.Command("sh", { args: ["-c", `command -v ${tool}`], stdout: "piped" })
          .output()).stdout,
      ).trim();
      await Deno.symlink(path, `${bin}/${tool}`);
    }
    const res = await upClickhouseFresh({ PATH: bin });
    assertEquals(res.code, 1, res.stdout + res.stderr);
    assertEquals(
      res.stderr,
      "error: ClickHouse comes from PyPI and needs Python 3.9 or newer; `python3` was not found: " +
        "install it (Debian/Ubuntu: `apt-get install python3 python3-pip`) and run again.\n",
    );
  } finally {
    await Deno.remove(bin, { recursive: true });
  }
});

Deno.test("stack up: a port taken by another program is one sentence", async () => {
  const squatter = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (squatter.addr as Deno.NetAddr).port;
  // Accept and drop connections, as a program that is not ClickHouse would.
  (async () => {
    for await (const c of squatter) c.close();
  })().catch(() => {});
  try {
    const res = await upClickhouseFresh({ CLICKHOUSE_URL: `http://127.0.0.1:${port}` });
    assertEquals(res.code, 1, res.stdout + res.stderr);
    assertEquals(
      res.stderr,
      `error: clickhouse: 127.0.0.1:${port} is in use by another program that does not answer ` +
        "as clickhouse (check the port, or the credentials in .env)\n",
    );
  } finally {
    squatter.close();
  }
});

Deno.test("stack: Kafka left running under another KAFKA_NODES blocks up with one sentence; down stops it", async () => {
  const state = await Deno.makeTempDir({ prefix: "stack-layout-" });
  // A stand-in for the single-node Kafka: a process of ours, by its command line and pid file.
  await Deno.mkdir(`${state}/kafka`);
  const fake = new Deno.Command("sh", {
    args: ["-c", "sleep 120", `${state}/kafka/broker`],
    stdout: "null",
    stderr: "null",
  }).spawn();
  await Deno.writeTextFile(`${state}/kafka/pid`, String(fake.pid));
  const env = {
    STACK_STATE_DIR: state,
    KAFKA_NODES: "3",
    KAFKA_BROKERS: [0, 2, 4].map((i) => `127.0.0.1:${closedPort() + i}`).join(","),
  };
  try {
    const up = await runTask("stack", ["up", "kafka"], env);
    assertEquals(up.code, 1, up.stdout + up.stderr);
    assertEquals(
      up.stderr,
      `error: Our Kafka from another KAFKA_NODES is still running (kafka, pid ${fake.pid}); stop it ` +
        `first with "deno task stack down kafka", then run "stack up" again\n`,
    );
    const down = await runTask("stack", ["down", "kafka"], env);
    assertEquals(down.code, 0, down.stdout + down.stderr);
    assert(down.stdout.includes(`kafka      stopped (pid ${fake.pid})`), down.stdout);
    assertEquals((await fake.status).signal, "SIGTERM");
  } finally {
    try {
      fake.kill("SIGKILL");
    } catch { /* already stopped */ }
    await fake.status;
    await Deno.remove(state, { recursive: true });
  }
});
