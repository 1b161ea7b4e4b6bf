/**
 * A real three-node Kafka cluster (KRaft, `KAFKA_NODES=3`) of the test's own,
 * on free ports with its own state directory, beside the shared S3 and
 * ClickHouse: topics are replicated, and the producer and the sink ride
 * through a broker killed with SIGKILL exactly once; ClickHouse's Kafka
 * engine rides through it with each event counted once.
 */
import { ClickHouseClient } from "../lib/clickhouse/client.ts";
import { clickhouseGroups, dropClickHouse, initClickHouse } from "../lib/clickhouse/ingest.ts";
import { taskCommand } from "../lib/core/process.ts";
import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { type Admin, ConfigResourceTypes } from "kafkajs";
import type { Config } from "../lib/core/env.ts";
import { EventGenerator } from "../lib/events/generator.ts";
import { ensureTopic } from "../lib/kafka/admin.ts";
import { createKafka } from "../lib/kafka/client.ts";
import { alive, pidFile, type StackPaths } from "../lib/stack/processes.ts";
import type { ServiceName } from "../lib/stack/services.ts";
import { defaultPaths, down, up, upService } from "../lib/stack/stack.ts";
import { deleteTestPrefix, ensureStack, ROOT, testConfig, uniqueName, waitFor } from "./helpers.ts";
import { storedCoordinates } from "./sink_helpers.ts";

await ensureStack(); // the shared S3 and ClickHouse; the cluster is ours

const NODES: ServiceName[] = ["kafka-1", "kafka-2", "kafka-3"];
const say = (line: string) => console.error(`cluster: ${line.trim()}`);

/** True when nothing listens on `port` of 127.0.0.1. */
function portFree(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}

/** A first port whose six ports (three nodes, client + controller each) are free. */
function freeFirstPort(): number {
  for (let first = 39292; first < 49000; first += 200) {
    if (Array.from({ length: 6 }, (_, i) => first + i).every(portFree)) return first;
  }
  throw new Error("no six free ports between 39292 and 49000");
}

/** Starts a task directly (not through `deno task`, so its pid is the task's). */
async function spawnTask(
  name: string,
  args: string[],
  brokers: string[],
  env: Record<string, string> = {},
) {
  // deno.json's command, so the test runs what users run.
  const command = taskCommand(await Deno.readTextFile(`${ROOT}deno.json`), name);
  return new Deno.Command(Deno.execPath(), {
    args: [...command.args, ...args],
    cwd: ROOT,
    env: { ...command.env, ...env, NO_COLOR: "1", KAFKA_BROKERS: brokers.join(",") },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Waits for a process to exit, killing it after `ms` (then the test fails on its output). */
async function finish(p: Deno.ChildProcess, ms: number) {
  const timer = setTimeout(() => p.kill("SIGKILL"), ms);
  try {
    const out = await p.output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } finally {
    clearTimeout(timer);
  }
}

/** `fn()`, or `fallback` while the cluster cannot answer (a node is down, a leader moves). */
async function orElse<T>(fn: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await fn();
  } catch {
    return fallback;
  }
}

/** Leader node id of `partition`, -1 when it has none. */
async function leaderOf(admin: Admin, topic: string, partition: number): Promise<number> {
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  return meta.topics[0]?.partitions.find((p) => p.partitionId === partition)?.leader ?? -1;
}

/**
 * Node id of `group`'s coordinator: the leader of its `__consumer_offsets`
 * partition, Java's `abs(group.hashCode()) % partitions` (10 here, see
 * lib/stack/kafka_config.ts).
 */
async function coordinatorOf(admin: Admin, group: string): Promise<number> {
  let h = 0;
  for (const c of group) h = (Math.imul(31, h) + c.charCodeAt(0)) | 0;
  return await leaderOf(admin, "__consumer_offsets", (h === -(2 ** 31) ? 0 : Math.abs(h)) % 10);
}

/** Records in the topic (no transactions here, so high − low counts records). */
async function topicRecords(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
}

/**
 * The group's committed offset of each partition (-1: none). Not lag against
 * the topic's size read separately: records produced between the two reads made
 * a group that had committed nothing look under way.
 */
async function committedOffsets(admin: Admin, groupId: string, topic: string): Promise<number[]> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return committed?.partitions.map((p) => Number(p.offset)) ?? [];
}

/** Records the group has not committed yet, over the topic's partitions. */
async function groupLag(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [ends, [committed]] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ]);
  return ends.reduce((lag, e) => {
    const c = Number(committed?.partitions.find((p) => p.partition === e.partition)?.offset ?? -1);
    return lag + Number(e.high) - Math.max(c, Number(e.low));
  }, 0);
}

/** `fn` with an admin client of its own, connected now and released after. */
async function withFreshAdmin<T>(brokers: string[], fn: (a: Admin) => Promise<T>): Promise<T> {
  const a = createKafka({ brokers, clientId: "cluster-test-poll" }).admin();
  await a.connect();
  try {
    return await fn(a);
  } finally {
    await a.disconnect().catch(() => {});
  }
}

/** SIGKILLs a node by the pid in its pid file; returns its service name. */
async function killNode(paths: StackPaths, id: number): Promise<ServiceName> {
  const name: ServiceName = `kafka-${id}`;
  const pid = Number((await Deno.readTextFile(pidFile(paths, name))).trim());
  Deno.kill(pid, "SIGKILL");
  // Gone before anyone starts the node again (a dying pid would look like a failed start).
  await waitFor(async () => !(await alive(pid)), 10_000);
  say(`SIGKILLed ${name} (pid ${pid})`);
  return name;
}

/** Every record of `topic`, read with a fresh group until `count` arrived or 120 s passed. */
async function readAll(brokers: string[], topic: string, count: number) {
  const consumer = createKafka({ brokers, clientId: "cluster-test" }).consumer({
    groupId: uniqueName("cluster-reader"),
  });
  const values: string[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: ({ message }) => {
        values.push(message.value?.toString() ?? "");
        return Promise.resolve();
      },
    });
    await waitFor(() => Promise.resolve(values.length >= count), 120_000);
  } finally {
    await consumer.disconnect();
  }
  return values;
}

/** What identifies an event apart from its clock: every field of `event_param`, in order. */
function eventParams(e: { event_param: Record<string, unknown> }): string {
  const p = e.event_param;
  return [p.event_type_id, p.user_id, p.uuid_track, p.platform_token, p.ipv4, p.country].join("|");
}

/** Counts of each string. */
function tally(items: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of items) m.set(s, (m.get(s) ?? 0) + 1);
  return m;
}

Deno.test("cluster: three KRaft nodes; replicated topics; producer, sink and ClickHouse ride through a SIGKILLed broker, exactly once", async (t) => {
  const first = freeFirstPort();
  const brokers = [0, 1, 2].map((i) => `127.0.0.1:${first + 2 * i}`);
  const cfg: Config = { ...testConfig(), kafkaBrokers: brokers, kafkaNodes: 3 };
  const tmp = await Deno.makeTempDir({ prefix: "cluster-test-" });
  const paths: StackPaths = { cache: defaultPaths().cache, state: `${tmp}/state` };
  const admin = createKafka({ brokers, clientId: "cluster-test" }).admin();
  try {
    const started = Date.now();
    await up(paths, cfg, { timeoutSec: 300, say }, NODES);
    say(`three nodes up in ${((Date.now() - started) / 1000).toFixed(1)} s at ${brokers}`);
    await admin.connect();

    await t.step(
      "3 brokers in metadata; ensureTopic makes RF 3, min.insync.replicas 2",
      async () => {
        const cluster = await admin.describeCluster();
        assertEquals(cluster.brokers.map((b) => b.nodeId).sort(), [1, 2, 3]);
        const topic = uniqueName("cluster-rf");
        assertEquals(await ensureTopic(admin, topic, 3), { created: true, partitions: 3 });
        const meta = await admin.fetchTopicMetadata({ topics: [topic] });
        const partitions = meta.topics[0]!.partitions;
        assertEquals(partitions.length, 3);
        for (const p of partitions) assertEquals(p.replicas.slice().sort(), [1, 2, 3]);
        const { resources } = await admin.describeConfigs({
          resources: [{
            type: ConfigResourceTypes.TOPIC,
            name: topic,
            configNames: ["min.insync.replicas"],
          }],
          includeSynonyms: false,
        });
        const minIsr = resources[0]!.configEntries.find((c) =>
          c.configName === "min.insync.replicas"
        );
        assertEquals(minIsr?.configValue, "2");
      },
    );

    await t.step(
      "sink + producer while a partition leader is SIGKILLed and restarted: each record once, lag 0",
      async () => {
        const topic = uniqueName("cluster-sink");
        const group = `${topic}-g`;
        try {
          await ensureTopic(admin, topic, 3);
          const producer = await spawnTask("produce", [
            "--topic",
            topic,
            "--count",
            "60000",
            "--rate",
            "1500",
            "--seed",
            "7",
          ], brokers);
          const sink = await spawnTask(
            "sink",
            [
              "--topic",
              topic,
              "--group",
              group,
              "--prefix",
              topic,
              "--max-records",
              "2000",
              "--max-age",
              "2s",
            ],
            brokers,
            { KAFKAJS_DEBUG: "1" },
          ); // kafkajs's own log, to tell why if it stalls
          const sinkDone = finish(sink, 600_000);
          // Both under way: the sink has stored and committed a file.
          assert(
            await waitFor(
              () =>
                orElse(
                  async () => (await committedOffsets(admin, group, topic)).some((o) => o > 0),
                  false,
                ),
              180_000,
            ),
            "the sink committed nothing within 180 s",
          );
          const leader = await leaderOf(admin, topic, 0);
          const node = await killNode(paths, leader);
          assert(
            await waitFor(
              async () => ![-1, leader].includes(await orElse(() => leaderOf(admin, topic, 0), -1)),
              120_000,
            ),
            `partition 0 got no new leader within 120 s after node ${leader} died`,
          );
          await upService(paths, cfg, node, { timeoutSec: 300, say });
          const produced = await finish(producer, 600_000);
          say(`producer exit ${produced.code}: ${produced.stdout.trim().split("\n").at(-1)}`);
          // Each poll with an admin of its own, so no connection of the killed node's is reused.
          const caughtUp = await waitFor(
            () =>
              orElse(
                () => withFreshAdmin(brokers, async (a) => await groupLag(a, group, topic) === 0),
                false,
              ),
            300_000,
          );
          if (!caughtUp) {
            // Say why: the group as the coordinator sees it, and what the sink printed.
            const state = await orElse(() =>
              withFreshAdmin(brokers, async (a) => {
                const g = (await a.describeGroups([group])).groups[0];
                const [c] = await a.fetchOffsets({ groupId: group, topics: [topic] });
                const ends = await a.fetchTopicOffsets(topic);
                return `group ${g?.state} with ${g?.members.length} members, committed ${
                  c?.partitions.map((p) => `${p.partition}:${p.offset}`).join(" ")
                }, ends ${ends.map((e) => `${e.partition}:${e.high}`).join(" ")}`;
              }), "group state unknown");
            try {
              sink.kill("SIGKILL");
            } catch { /* it had exited by itself */ }
            const ended = await sinkDone;
            const lines = ended.stderr.split("\n");
            const own = lines.filter((l) => !l.startsWith("[kafkajs"));
            const kafkajs = lines.filter((l) => l.startsWith("[kafkajs"));
            assert(
              false,
              `the sink group's lag did not return to 0 within 300 s (${state}); the sink ${
                ended.code === 137 ? "was killed" : `had exited with code ${ended.code}`
              } and said:\n${own.join("\n").slice(-4000)}\nkafkajs's last lines:\n${
                kafkajs.slice(-60).join("\n")
              }`,
            );
          }
          sink.kill("SIGTERM");
          const sunk = await sinkDone;
          const stalls = sunk.stderr.split("\n").filter((l) => l.includes("delivered nothing"));
          if (stalls.length > 0) say(`the sink restarted a stalled consumer: ${stalls.join("; ")}`);
          assertEquals(
            sunk.code,
            0,
            sunk.stderr.split("\n").filter((l) => !l.startsWith("[kafkajs")).join("\n"),
          );
          const expected: string[] = [];
          for (const p of await admin.fetchTopicOffsets(topic)) {
            for (let o = Number(p.low); o < Number(p.high); o++) {
              expected.push(`${p.partition}:${o}`);
            }
          }
          const { coords } = await storedCoordinates(cfg.s3.bucket, topic);
          say(
            `topic holds ${expected.length} records; the lake ${coords.length} rows, ${
              new Set(coords).size
            } distinct`,
          );
          assertEquals(new Set(coords).size, coords.length, "a record is stored twice");
          assertEquals(coords.slice().sort(), expected.sort());
          assert(expected.length > 0);
        } finally {
          await deleteTestPrefix(topic);
        }
      },
    );

    await t.step(
      "ClickHouse ingests through the death of its group's coordinator: each event counted once",
      async () => {
        const topic = uniqueName("cluster-ch");
        const prefix = `${topic.replace(/\W/g, "_")}_`;
        const names = { brokers, musicTopic: topic, easyTopic: `${topic}-easy`, prefix };
        const { musicGroup } = clickhouseGroups(prefix);
        const ch = new ClickHouseClient(cfg.clickhouse);
        // final = 1: rows of the same message count once, as in our queries.
        const rows = async (final = 1) =>
          Number(
            (await ch.query<{ n: number }>(
              `SELECT count() AS n FROM ${prefix}music_consumer_phys SETTINGS final = ${final}`,
            )).data[0]!.n,
          );
        try {
          await ensureTopic(admin, topic, 3);
          await ensureTopic(admin, names.easyTopic, 1);
          await initClickHouse(ch, names);
          const producer = await spawnTask("produce", [
            "--topic",
            topic,
            "--count",
            "30000",
            "--rate",
            "1500",
            "--seed",
            "5",
          ], brokers);
          // ClickHouse is ingesting: a block is stored and more are on the way.
          assert(
            await waitFor(async () => (await rows()) > 0, 180_000),
            "ClickHouse inserted nothing within 180 s",
          );
          const node = await killNode(paths, await coordinatorOf(admin, musicGroup));
          await upService(paths, cfg, node, { timeoutSec: 300, say });
          const produced = await finish(producer, 600_000);
          assertEquals(produced.code, 0, produced.stderr);
          assert(
            await waitFor(
              () =>
                orElse(
                  () =>
                    withFreshAdmin(
                      brokers,
                      async (a) => await groupLag(a, musicGroup, topic) === 0,
                    ),
                  false,
                ),
              300_000,
            ),
            `ClickHouse's group ${musicGroup} did not commit the whole topic within 300 s`,
          );
          // Every offset is committed, so nothing more will arrive: the count is final.
          const [held, stored, raw] = [
            await topicRecords(admin, topic),
            await rows(),
            await rows(0),
          ];
          say(
            `the topic holds ${held} records; ClickHouse ${stored} (${raw} stored, duplicates included)`,
          );
          assertEquals(stored, held, "ClickHouse lost a message or counted one twice");
        } finally {
          await dropClickHouse(ch, names);
        }
      },
    );

    await t.step({
      name:
        "producer: a broker SIGKILLed mid-run, back 10 s later → exit 0, every acked event once",
      fn: async () => {
        const topic = uniqueName("cluster-produce");
        const count = 45_000;
        const seed = 9;
        await ensureTopic(admin, topic, 3);
        const producer = await spawnTask("produce", [
          "--topic",
          topic,
          "--count",
          String(count),
          "--rate",
          "1500",
          "--seed",
          String(seed),
        ], brokers);
        const done = finish(producer, 600_000);
        assert(
          await waitFor(
            () => orElse(async () => (await topicRecords(admin, topic)) >= 3000, false),
            180_000,
          ),
          "the producer wrote nothing within 180 s",
        );
        const node = await killNode(paths, await leaderOf(admin, topic, 1));
        // The outage itself: the broker stays dead for 10 s (fault injection, not a wait).
        await new Promise((r) => setTimeout(r, 10_000));
        await upService(paths, cfg, node, { timeoutSec: 300, say });
        const res = await done;
        assertEquals(res.code, 0, `${res.stdout}\n${res.stderr}`);
        const acked = Number(/acked ([\d,]+) events/.exec(res.stdout)?.[1]?.replaceAll(",", ""));
        assertEquals(acked, count, res.stdout);
        // A newly elected leader's high watermark trails for a moment; wait for it, bounded.
        let held = -1;
        await waitFor(
          async () => (held = await orElse(() => topicRecords(admin, topic), -1)) >= count,
          60_000,
        );
        const values = await readAll(brokers, topic, Math.max(held, 0));
        const gen = new EventGenerator({ seed, users: 1000, tracks: 10_000 });
        const want = tally(Array.from({ length: count }, () => eventParams(gen.next())));
        const got = tally(values.map((v) => eventParams(JSON.parse(v))));
        let missing = 0;
        let extra = 0;
        for (const [k, n] of want) missing += Math.max(0, n - (got.get(k) ?? 0));
        for (const [k, n] of got) extra += Math.max(0, n - (want.get(k) ?? 0));
        say(
          `producer acked ${acked}; the topic holds ${held} records: ${missing} acked events missing, ${extra} extra`,
        );
        assertEquals({ held, missing, extra }, { held: count, missing: 0, extra: 0 });
        assertEquals(got, want);
      },
    });
  } finally {
    await admin.disconnect().catch(() => {});
    await down(paths, say, NODES);
    await Deno.remove(tmp, { recursive: true });
  }
});
