/**
 * Integration test of the easy pair (seed's easy_producer / easy_consumer)
 * against the real local Kafka, run as the tasks run.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../lib/config.ts";
import { createKafka } from "../lib/kafka.ts";
import { PersonGenerator } from "../lib/people.ts";

const cfg = loadConfig();
const opts = { sanitizeOps: false, sanitizeResources: false };

function task(file: string, args: string[]) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--env-file=.env", "--allow-env", "--allow-net", "--allow-read", file, ...args],
    stdout: "piped",
    stderr: "piped",
  });
}

Deno.test("easy:produce then easy:consume round-trips the person records", opts, async () => {
  const topic = `test-easy-${crypto.randomUUID().slice(0, 8)}`;
  const admin = createKafka({ brokers: cfg.kafkaBrokers }).admin();
  await admin.connect();
  try {
    const n = 25;
    const produced = await task("tasks/easy_produce.ts", [
      "--topic",
      topic,
      "--count",
      String(n),
      "--rate",
      "0",
      "--seed",
      "9",
    ]).output();
    assert.equal(produced.code, 0, new TextDecoder().decode(produced.stderr));
    assert.match(new TextDecoder().decode(produced.stdout), new RegExp(`acked ${n} records`));

    const consumed = await task("tasks/easy_consume.ts", [
      "--topic",
      topic,
      "--group",
      `${topic}-g`,
      "--from-beginning",
      "--max",
      String(n),
    ]).output();
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
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.disconnect();
  }
});
