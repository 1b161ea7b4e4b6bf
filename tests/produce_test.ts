/**
 * Integration tests of the music event producer against the real local Kafka
 * (`deno task stack up`). Each test uses its own topic and deletes it.
 */
import assert from "node:assert/strict";
import { UserError } from "../lib/core/errors.ts";
import { loadConfig } from "../lib/core/env.ts";
import { decodeEvent, eventJson } from "../lib/events/codec.ts";
import { EventGenerator } from "../lib/events/generator.ts";
import { topicEndOffsetSum } from "../lib/kafka/admin.ts";
import { createKafka } from "../lib/kafka/client.ts";
import { consumeTopic } from "../lib/kafka/consume.ts";
import { startProducer } from "../lib/kafka/producer.ts";
import { ensureStack } from "./helpers.ts";

await ensureStack();

const cfg = loadConfig();
const kafka = createKafka({ brokers: cfg.kafkaBrokers, clientId: "produce-test" });
const opts = { sanitizeOps: false, sanitizeResources: false };

function uniqueTopic(name: string): string {
  return `test-${name}-${crypto.randomUUID().slice(0, 8)}`;
}

async function withTopic(name: string, fn: (topic: string) => Promise<void>) {
  const topic = uniqueTopic(name);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await fn(topic);
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
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
  await withTopic("produce", async (topic) => {
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

    const seen = new Set<string>();
    const partitionsOfUser = new Map<string, number>();
    const read = await consumeTopic({
      kafka,
      brokers: cfg.kafkaBrokers,
      topic,
      group: `${topic}-check`,
      fromBeginning: true,
      max: n,
      onRecord: (m) => {
        const d = decodeEvent(m.value);
        assert.ok(d.ok, d.ok ? "" : d.reason);
        assert.equal(m.key?.toString(), d.event.event_param.user_id);
        // same key → same partition
        const p = partitionsOfUser.get(d.event.event_param.user_id) ?? m.partition;
        assert.equal(m.partition, p);
        partitionsOfUser.set(d.event.event_param.user_id, p);
        seen.add(`${m.partition}:${m.offset}`);
      },
    });
    assert.equal(read, n);
    assert.equal(seen.size, n);
  });
});

Deno.test(
  "SIGTERM mid-run: the acked count in the summary equals the count in the topic",
  opts,
  async () => {
    await withTopic("sigterm", async (topic) => {
      const child = produceTask(["--topic", topic, "--rate", "2000", "--seed", "3"]).spawn();
      await new Promise((r) => setTimeout(r, 3000));
      child.kill("SIGTERM");
      const out = await child.output();
      const stdout = new TextDecoder().decode(out.stdout);
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      assert.match(stdout, /^stopped: /);
      const acked = ackedOf(stdout);
      assert.ok(acked > 0, stdout);
      assert.equal(await endOffsets(topic), acked);
    });
  },
);

Deno.test("rate and duration pace the producer", opts, async () => {
  await withTopic("rate", async (topic) => {
    const out = await produceTask(["--topic", topic, "--rate", "20", "--duration", "1s"]).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0);
    const acked = ackedOf(stdout);
    assert.ok(acked >= 18 && acked <= 22, stdout);
    assert.equal(await endOffsets(topic), acked);
  });
});

Deno.test("unreachable broker: one clear line and a non-zero exit, quickly", opts, async () => {
  const t0 = Date.now();
  const out = await produceTask(["--count", "1"], { KAFKA_BROKERS: "127.0.0.1:1" }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 1);
  assert.match(stderr, /error: Cannot connect to Kafka at 127\.0\.0\.1:1: connection refused/);
  assert.doesNotMatch(stderr, /at .*\.ts:\d+/); // no stack trace
  assert.ok(Date.now() - t0 < 20_000);
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
