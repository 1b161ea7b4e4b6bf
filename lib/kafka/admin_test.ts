import assert, { deepStrictEqual as assertEquals } from "node:assert/strict";
import type { Admin } from "kafkajs";
import { ensureTopic, topicReplication } from "./admin.ts";

Deno.test("topicReplication: one broker keeps one copy and the broker's defaults", () => {
  assertEquals(topicReplication(1), { replicationFactor: 1, configEntries: [] });
});

Deno.test("topicReplication: two brokers, two copies, no min ISR that would block writes", () => {
  assertEquals(topicReplication(2), { replicationFactor: 2, configEntries: [] });
});

Deno.test("topicReplication: three or more brokers, three copies and two in sync", () => {
  for (const n of [3, 5]) {
    assertEquals(topicReplication(n), {
      replicationFactor: 3,
      configEntries: [{ name: "min.insync.replicas", value: "2" }],
    });
  }
});

/** An admin whose calls are scripted: each call takes the next outcome of its list. */
function scriptedAdmin(script: {
  describeCluster: (() => unknown)[];
  createTopics: (() => unknown)[];
}) {
  const calls: string[] = [];
  const next = (name: keyof typeof script) => {
    calls.push(name);
    const step = script[name].shift();
    if (!step) throw new Error(`unexpected ${name}`);
    return Promise.resolve().then(step);
  };
  const admin = {
    describeCluster: () => next("describeCluster"),
    createTopics: () => next("createTopics"),
    fetchTopicMetadata: () => {
      calls.push("fetchTopicMetadata");
      return Promise.resolve({ topics: [{ partitions: [{}, {}, {}] }] });
    },
  } as unknown as Admin;
  return { admin, calls };
}

const threeBrokers = () => ({ brokers: [{}, {}, {}] });
const reset = () => {
  throw Object.assign(new Error("Connection error: read ECONNRESET"), {
    name: "KafkaJSConnectionError",
  });
};

Deno.test("ensureTopic asks again when a broker dies while the topic is created", async () => {
  const { admin, calls } = scriptedAdmin({
    describeCluster: [threeBrokers, threeBrokers],
    createTopics: [reset, () => false], // the first attempt created it; the second finds it
  });
  assert.deepEqual(await ensureTopic(admin, "t", 3), { created: false, partitions: 3 });
  assert.deepEqual(calls, [
    "describeCluster",
    "createTopics",
    "describeCluster",
    "createTopics",
    "fetchTopicMetadata",
  ]);
});

Deno.test("ensureTopic fails at once when the cluster does not answer", async () => {
  const refused = () => {
    throw new Error("Connection error: connect ECONNREFUSED 127.0.0.1:9092");
  };
  const { admin, calls } = scriptedAdmin({ describeCluster: [refused], createTopics: [] });
  await assert.rejects(ensureTopic(admin, "t", 3), /ECONNREFUSED/);
  assert.deepEqual(calls, ["describeCluster"]);
});
