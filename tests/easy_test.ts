/**
 * Integration test of the easy pair (seed's easy_producer / easy_consumer)
 * against the real local Kafka, run as the tasks run.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../lib/core/env.ts";
import { topicEndOffsetSum } from "../lib/kafka/admin.ts";
import { createKafka } from "../lib/kafka/client.ts";
import { PersonGenerator } from "../lib/events/people.ts";
import { ensureStack } from "./helpers.ts";
import { dropKafkaResources, outputWithin } from "./sink_helpers.ts";

await ensureStack();

const cfg = loadConfig();
const opts = { sanitizeOps: false, sanitizeResources: false };
/** A generous bound on each task run, so a hung task fails the test instead of stalling it. */
const DEADLINE_MS = 120_000;

function task(file: string, args: string[]) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--env-file=.env", "--allow-env", "--allow-net", "--allow-read", file, ...args],
    stdout: "piped",
    stderr: "piped",
  });
}

Deno.test("easy:produce then easy:consume round-trips the person records", opts, async () => {
  const topic = `test-easy-${crypto.randomUUID().slice(0, 8)}`;
  const group = `${topic}-g`;
  try {
    const n = 25;
    const produced = await outputWithin(
      task("tasks/easy_produce.ts", [
        "--topic",
        topic,
        "--count",
        String(n),
        "--rate",
        "0",
        "--seed",
        "9",
      ]),
      DEADLINE_MS,
    );
    assert.equal(produced.code, 0, new TextDecoder().decode(produced.stderr));
    assert.match(new TextDecoder().decode(produced.stdout), new RegExp(`acked ${n} records`));

    const consumed = await outputWithin(
      task("tasks/easy_consume.ts", [
        "--topic",
        topic,
        "--group",
        group,
        "--from-beginning",
        "--max",
        String(n),
      ]),
      DEADLINE_MS,
    );
    const stderr = new TextDecoder().decode(consumed.stderr);
    assert.equal(consumed.code, 0, stderr);
    assert.match(stderr, new RegExp(`read ${n} records from ${topic}`));
    const lines = new TextDecoder().decode(consumed.stdout).trim().split("\n");
    assert.equal(lines.length, n);

    // The same seed generates the same people: every one was printed, readable.
    const gen = new PersonGenerator({ seed: 9 });
    const expected = Array.from({ length: n }, () => gen.next());
    for (const p of expected) {
      const line = lines.find((l) => l.includes(p.uuid));
      assert.ok(line, `missing ${p.uuid}`);
      assert.match(line, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} {2}/);
      assert.ok(line.includes(`${p.first_name} ${p.middle_name} ${p.last_name}`), line);
    }
  } finally {
    await dropKafkaResources({ topics: [topic], groups: [group] });
  }
});

Deno.test(
  "easy:produce at --rate 0 keeps uncompressed batches under the broker's limit",
  opts,
  async () => {
    // Defaults: --compression none, 1 partition, so one send() is one RecordBatch. 8,000
    // records (~190 encoded bytes each) overflowed 1 MB when only value bytes were counted.
    const topic = `test-easy-big-${crypto.randomUUID().slice(0, 8)}`;
    const admin = createKafka({ brokers: cfg.kafkaBrokers }).admin();
    await admin.connect();
    try {
      const n = 8000;
      const produced = await outputWithin(
        task("tasks/easy_produce.ts", [
          "--topic",
          topic,
          "--count",
          String(n),
          "--rate",
          "0",
        ]),
        DEADLINE_MS,
      );
      assert.equal(produced.code, 0, new TextDecoder().decode(produced.stderr));
      assert.match(new TextDecoder().decode(produced.stdout), /acked 8,000 records/);
      assert.equal(await topicEndOffsetSum(admin, topic), n);
    } finally {
      await admin.disconnect();
      await dropKafkaResources({ topics: [topic] });
    }
  },
);

Deno.test("easy tasks reject an invalid --topic with one line", opts, async () => {
  const runs: [string, string[]][] = [
    ["tasks/easy_produce.ts", ["--count", "1"]],
    ["tasks/easy_consume.ts", ["--max", "1"]],
  ];
  for (const [file, args] of runs) {
    const out = await outputWithin(task(file, ["--topic", "bad topic", ...args]), DEADLINE_MS);
    const stderr = new TextDecoder().decode(out.stderr);
    assert.notEqual(out.code, 0);
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
    assert.match(stderr, /^error: --topic has "bad topic"; a Kafka topic name is/);
  }
});
