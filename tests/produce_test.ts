/**
 * Integration tests of the music event producer against the real local Kafka
 * (`deno task stack up`). Each test uses its own topic and deletes it.
 */
import assert from "node:assert/strict";
import type { Buffer } from "node:buffer";
import { UserError } from "../lib/core/errors.ts";
import { loadConfig } from "../lib/core/env.ts";
import { decodeEvent, eventJson } from "../lib/events/codec.ts";
import { EventGenerator } from "../lib/events/generator.ts";
import { topicEndOffsetSum } from "../lib/kafka/admin.ts";
import { createKafka } from "../lib/kafka/client.ts";
import { consumeTopic } from "../lib/kafka/consume.ts";
import { startProducer } from "../lib/kafka/producer.ts";
import { ensureStack, waitFor } from "./helpers.ts";
import { dropKafkaResources, outputWithin } from "./sink_helpers.ts";

await ensureStack();

const cfg = loadConfig();
const kafka = createKafka({ brokers: cfg.kafkaBrokers, clientId: "produce-test" });
const opts = { sanitizeOps: false, sanitizeResources: false };

function uniqueTopic(name: string): string {
  return `test-${name}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Runs `fn` with a fresh topic; deletes it and the consumer groups `fn` names afterwards. */
async function withTopic(name: string, fn: (topic: string, groups: string[]) => Promise<void>) {
  const topic = uniqueTopic(name);
  const groups: string[] = [];
  try {
    await fn(topic, groups);
  } finally {
    await dropKafkaResources({ topics: [topic], groups });
  }
}

async function endOffsets(topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await topicEndOffsetSum(admin, topic);
  } finally {
    await admin.disconnect();
  }
}

/** Runs the produce task as a subprocess, with the permissions of its deno.json entry. */
function produceTask(args: string[], env: Record<string, string> = {}) {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--env-file=.env",
      "--allow-env",
      "--allow-net",
      "--allow-read",
      "tasks/produce.ts",
      ...args,
    ],
    env,
    stdout: "piped",
    stderr: "piped",
  });
}

function ackedOf(summary: string): number {
  const m = /acked ([\d,]+) events/.exec(summary);
  assert.ok(m, `no summary in: ${summary}`);
  return Number(m[1]!.replaceAll(",", ""));
}

Deno.test("produce N: a consumer reads exactly N valid events keyed by user_id", opts, async () => {
  await withTopic("produce", async (topic, groups) => {
    const n = 3000;
    const gen = new EventGenerator({ seed: 11, users: 100 });
    const run = startProducer({
      kafka,
      brokers: cfg.kafkaBrokers,
      topic,
      partitions: 3,
      compression: "zstd",
      rate: 0,
      count: n,
      next: () => {
        const e = gen.next();
        return { key: e.event_param.user_id, value: eventJson(e) };
      },
    });
    const summary = await run.done;
    assert.equal(summary.error, undefined);
    assert.equal(summary.acked, n);
    assert.equal(summary.sent, n);
    assert.equal(summary.createdTopic, true);
    assert.equal(await endOffsets(topic), n);

    // Collected here, asserted after: a throw inside kafkajs's callback restarts the
    // consumer instead of failing the test.
    const records: { partition: number; offset: string; key?: string; value: Buffer | null }[] = [];
    const group = `${topic}-check`;
    groups.push(group);
    const read = await consumeTopic({
      kafka,
      brokers: cfg.kafkaBrokers,
      topic,
      group,
      fromBeginning: true,
      max: n,
      onRecord: (m) => {
        records.push({
          partition: m.partition,
          offset: m.offset,
          ...(m.key ? { key: m.key.toString() } : {}),
          value: m.value,
        });
      },
    });
    assert.equal(read, n);
    assert.equal(new Set(records.map((r) => `${r.partition}:${r.offset}`)).size, n);
    const partitionOfUser = new Map<string, number>();
    for (const r of records) {
      const d = decodeEvent(r.value);
      assert.ok(d.ok, d.ok ? "" : d.reason);
      const user = d.event.event_param.user_id;
      assert.equal(r.key, user);
      // same key → same partition
      assert.equal(r.partition, partitionOfUser.get(user) ?? r.partition, user);
      partitionOfUser.set(user, r.partition);
    }
    assert.ok(partitionOfUser.size > 1, "all events came from one user");
  });
});

Deno.test(
  "SIGTERM mid-run: the acked count in the summary equals the count in the topic",
  opts,
  async () => {
    await withTopic("sigterm", async (topic) => {
      const child = produceTask(["--topic", topic, "--rate", "2000", "--seed", "3"]).spawn();
      // Mid-run: some events are in the topic (it does not exist until the task creates it).
      const started = await waitFor(
        () => endOffsets(topic).then((n) => n > 0, () => false),
        120_000,
      );
      child.kill("SIGTERM");
      assert.ok(started, "nothing reached the topic");
      const out = await outputWithin(child, 120_000);
      const stdout = new TextDecoder().decode(out.stdout);
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      assert.match(stdout, /^stopped: /);
      const acked = ackedOf(stdout);
      assert.ok(acked > 0, stdout);
      assert.equal(await endOffsets(topic), acked);
    });
  },
);

// How closely the rate is kept is a measurement (bench/produce.ts prints it); here only
// what holds however slow the machine is.
Deno.test(
  "--rate with --duration stops by itself, never above the rate, acks what the topic holds",
  opts,
  async () => {
    await withTopic("rate", async (topic) => {
      const out = await outputWithin(
        produceTask(["--topic", topic, "--rate", "20", "--duration", "1s"]),
        120_000,
      );
      const stdout = new TextDecoder().decode(out.stdout);
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      const acked = ackedOf(stdout);
      // The first event goes at once; at 20/s, fewer than 1 s allows at most 20.
      assert.ok(acked >= 1 && acked <= 20, stdout);
      assert.equal(await endOffsets(topic), acked);
    });
  },
);

Deno.test("--rate with --count stops after exactly N events", opts, async () => {
  await withTopic("rate-count", async (topic) => {
    const out = await outputWithin(
      produceTask(["--topic", topic, "--rate", "50", "--count", "7"]),
      120_000,
    );
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.equal(ackedOf(stdout), 7, stdout);
    assert.equal(await endOffsets(topic), 7);
  });
});

Deno.test("unreachable broker: one clear line and exit 1, no stack trace", opts, async () => {
  const out = await outputWithin(
    produceTask(["--count", "1"], { KAFKA_BROKERS: "127.0.0.1:1" }),
    120_000,
  );
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 1);
  // Besides progress lines ("connecting to …"), one error line and no stack trace.
  const errors = stderr.split("\n").filter((l) => /error/i.test(l));
  assert.deepEqual(errors, ["error: Cannot connect to Kafka at 127.0.0.1:1: connection refused"]);
  assert.doesNotMatch(stderr, /^\s+at /m, stderr);
});

Deno.test("invalid --topic: one line naming the rule, before connecting", opts, async () => {
  const out = await produceTask(["--topic", "bad topic", "--count", "1"]).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 1);
  assert.equal(stderr.trim().split("\n").length, 1, stderr);
  assert.match(stderr, /^error: --topic has "bad topic"; a Kafka topic name is 1-249 characters/);
});

Deno.test(
  "refused by the broker (invalid topic): one line, not a kafkajs trace",
  opts,
  async () => {
    // Bypasses checkTopicName to exercise the mapping of the broker's own refusal.
    const run = startProducer({
      kafka,
      brokers: cfg.kafkaBrokers,
      topic: "bad topic",
      partitions: 1,
      compression: "none",
      rate: 0,
      count: 1,
      next: () => ({ key: "k", value: "v" }),
    });
    await assert.rejects(run.done, (e: unknown) => {
      assert.ok(e instanceof UserError, String(e));
      assert.match(e.message, /^Kafka refused: .*invalid topic \(INVALID_TOPIC_EXCEPTION/);
      return true;
    });
  },
);
