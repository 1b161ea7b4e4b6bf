/**
 * The producer against a broker that dies mid-run. Each test starts its OWN
 * single-node Kafka (free ports, its own state directory under a temp dir)
 * and kills that one; the shared stack is never touched.
 */
import assert from "node:assert/strict";
import { type Config, loadConfig } from "../lib/core/env.ts";
import { topicEndOffsetSum } from "../lib/kafka/admin.ts";
import { createKafka } from "../lib/kafka/client.ts";
import { decodeEvent } from "../lib/events/codec.ts";
import { EventGenerator } from "../lib/events/generator.ts";
import type { MusicEvent } from "../lib/events/schema.ts";
import { consumeTopic } from "../lib/kafka/consume.ts";
import { alive, pidFile, type StackPaths } from "../lib/stack/processes.ts";
import { defaultPaths, down, upService } from "../lib/stack/stack.ts";
import { ROOT, uniqueName, waitFor } from "./helpers.ts";

const SEED = 7;

/** A port p with p and p + 1 free (Kafka's listener and its controller). */
function freePortPair(): number {
  for (let p = 29192; p < 29392; p += 2) {
    try {
      Deno.listen({ hostname: "127.0.0.1", port: p }).close();
      Deno.listen({ hostname: "127.0.0.1", port: p + 1 }).close();
      return p;
    } catch { /* taken: try the next pair */ }
  }
  throw new Error("no free port pair in 29192-29391 for the test's own Kafka");
}

/** A broker of this test only: its paths, settings, and how to kill and restart it. */
interface OwnKafka {
  paths: StackPaths;
  cfg: Config;
  broker: string;
  kill(): Promise<void>;
  start(): Promise<void>;
}

async function withOwnKafka(fn: (k: OwnKafka) => Promise<void>): Promise<void> {
  const state = await Deno.makeTempDir({ prefix: "producer-outage-" });
  const broker = `127.0.0.1:${freePortPair()}`;
  const paths = { cache: defaultPaths().cache, state };
  const cfg = { ...loadConfig(), kafkaBrokers: [broker] };
  const k: OwnKafka = {
    paths,
    cfg,
    broker,
    start: () => upService(paths, cfg, "kafka", { timeoutSec: 180, say: () => {} }),
    kill: async () => {
      const pid = Number((await Deno.readTextFile(pidFile(paths, "kafka"))).trim());
      Deno.kill(pid, "SIGKILL");
      assert.ok(await waitFor(async () => !(await alive(pid)), 30_000), "Kafka survived SIGKILL");
    },
  };
  try {
    await k.start();
    await fn(k);
  } finally {
    await down(paths, () => {}, ["kafka"]);
    await Deno.remove(state, { recursive: true }).catch(() => {});
  }
}

/** `deno task produce` against `broker`, its output collected as it comes. */
function startProduce(broker: string, args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "produce", ...args],
    cwd: ROOT,
    env: { KAFKA_BROKERS: broker, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out = { stdout: "", stderr: "", code: undefined as number | undefined };
  const collect = async (s: ReadableStream<Uint8Array>, key: "stdout" | "stderr") => {
    for await (const t of s.pipeThrough(new TextDecoderStream())) out[key] += t;
  };
  const done = Promise.all([
    collect(child.stdout, "stdout"),
    collect(child.stderr, "stderr"),
    child.status.then((s) => (out.code = s.code)),
  ]);
  /** Waits for the exit, at most `ms`; kills the producer when it overruns. */
  const exit = async (ms: number) => {
    if (!(await waitFor(() => Promise.resolve(out.code !== undefined), ms))) {
      child.kill("SIGKILL");
      assert.fail(`the producer did not exit within ${ms / 1000} s:\n${out.stderr}`);
    }
    await done;
    return out;
  };
  return { out, exit };
}

async function endOffsets(k: OwnKafka, topic: string): Promise<number> {
  const admin = createKafka({ brokers: [k.broker], clientId: "outage-test", probe: true }).admin();
  try {
    await admin.connect();
    return await topicEndOffsetSum(admin, topic);
  } catch {
    return 0; // not there yet
  } finally {
    await admin.disconnect();
  }
}

/** What a user did in an event, without its time (which depends on the clock). */
function action(e: MusicEvent): string {
  return `${e.event_param.event_type_id}/${e.event_param.uuid_track}`;
}

/** Per user, the actions of the first `n` events of `deno task produce --seed SEED`. */
function expectedActions(n: number): Map<string, string[]> {
  const gen = new EventGenerator({ seed: SEED, users: 1000, tracks: 10_000 }); // the task's defaults
  const out = new Map<string, string[]>();
  for (let i = 0; i < n; i++) {
    const e = gen.next();
    out.set(e.event_param.user_id, [...(out.get(e.event_param.user_id) ?? []), action(e)]);
  }
  return out;
}

/**
 * Per user, the actions in the topic in offset order (a user's events share a
 * partition). Equal to {@link expectedActions} of the acked count exactly when
 * every acked event is there once, none lost, none twice, none out of order;
 * identical values alone would not tell, as a user can repeat an event within
 * one millisecond.
 */
async function topicActions(k: OwnKafka, topic: string, records: number) {
  const rows: { partition: number; offset: bigint; user: string; action: string }[] = [];
  const read = await consumeTopic({
    kafka: createKafka({ brokers: [k.broker], clientId: "outage-test" }),
    brokers: [k.broker],
    topic,
    group: uniqueName("outage-check"),
    fromBeginning: true,
    max: records,
    signal: AbortSignal.timeout(120_000),
    onRecord: (m) => {
      const d = decodeEvent(m.value);
      assert.ok(d.ok, d.ok ? "" : d.reason);
      const user = d.event.event_param.user_id;
      rows.push({
        partition: m.partition,
        offset: BigInt(m.offset),
        user,
        action: action(d.event),
      });
    },
  });
  assert.equal(read, records);
  rows.sort((x, y) => x.partition - y.partition || (x.offset < y.offset ? -1 : 1));
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.user, [...(out.get(r.user) ?? []), r.action]);
  return out;
}

const count = (s: string) => Number(s.replaceAll(",", ""));

Deno.test("produce: the broker SIGKILLed mid-run, back 20 s later → exit 0, every acked event once", async () => {
  await withOwnKafka(async (k) => {
    const topic = uniqueName("outage");
    const p = startProduce(k.broker, [
      "--topic",
      topic,
      "--rate",
      "2000",
      "--duration",
      "30s",
      "--seed",
      String(SEED),
    ]);
    assert.ok(
      await waitFor(async () => (await endOffsets(k, topic)) >= 2000, 90_000),
      p.out.stderr,
    );
    await k.kill();
    // Down for 20 s (the outage itself, not a wait for a result), and at least
    // until the producer says it is waiting.
    const [, waiting] = await Promise.all([
      new Promise((r) => setTimeout(r, 20_000)),
      waitFor(() => Promise.resolve(p.out.stderr.includes("waiting for Kafka…")), 60_000),
    ]);
    assert.ok(waiting, `no "waiting for Kafka…" line:\n${p.out.stderr}`);
    assert.equal(
      p.out.code,
      undefined,
      `the producer exited while Kafka was down:\n${p.out.stderr}`,
    );
    await k.start();
    const res = await p.exit(180_000);
    assert.equal(res.code, 0, res.stderr);
    const m = /^done: acked ([\d,]+) events to \S+ \(sent ([\d,]+), failed 0\)/.exec(res.stdout);
    assert.ok(m, res.stdout);
    const acked = count(m[1]!);
    assert.equal(count(m[2]!), acked);
    const records = await endOffsets(k, topic);
    assert.equal(records, acked, "records in the topic ≠ acked");
    assert.deepEqual(await topicActions(k, topic, records), expectedActions(acked));
  });
});

Deno.test("produce: the broker gone for good → after --delivery-timeout, one error line and exit 1", async () => {
  await withOwnKafka(async (k) => {
    const topic = uniqueName("outage-gone");
    const p = startProduce(k.broker, [
      "--topic",
      topic,
      "--rate",
      "2000",
      "--duration",
      "10m",
      "--delivery-timeout",
      "10s",
      "--seed",
      String(SEED),
    ]);
    assert.ok(
      await waitFor(async () => (await endOffsets(k, topic)) >= 2000, 90_000),
      p.out.stderr,
    );
    await k.kill();
    const res = await p.exit(120_000);
    assert.equal(res.code, 1, res.stderr);
    // Progress lines come first; the error is one line, the last, with no stack trace.
    const lines = res.stderr.trimEnd().split("\n");
    assert.equal(lines.filter((l) => l.startsWith("error:")).length, 1, res.stderr);
    assert.doesNotMatch(res.stderr, /^\s+at |\.ts:\d+/m);
    const e = new RegExp(
      `^error: Kafka at ${k.broker.replaceAll(".", "\\.")} unreachable for 10s ` +
        `\\(connection refused\\): ([\\d,]+) events acked, ([\\d,]+) not delivered$`,
    ).exec(lines.at(-1)!);
    assert.ok(e, res.stderr);
    const [acked, lost] = [count(e[1]!), count(e[2]!)];
    assert.match(res.stdout, new RegExp(`^failed: acked ${e[1]} events .*failed ${e[2]}\\)`));
    assert.ok(acked >= 2000 && lost > 0, res.stderr);
    // Back up. Each partition's share of a batch is sent and given up on its
    // own, so the acked events need not be the first `acked` generated ones:
    // of the last batch, one partition's share may be acked and another's not
    // (that every acked event is stored once is the restart test's check).
    // Here: per user (one partition), the topic holds a prefix of what was
    // sent, in order, none twice, and at least every acked event in number.
    await k.start();
    const records = await endOffsets(k, topic);
    assert.ok(records >= acked && records <= acked + lost, `${records} records`);
    const [inTopic, sentOnes] = [
      await topicActions(k, topic, records),
      expectedActions(acked + lost),
    ];
    for (const [user, all] of sentOnes) {
      const got = inTopic.get(user) ?? [];
      assert.deepEqual(got, all.slice(0, got.length), `user ${user}: beyond the sent ones`);
    }
    for (const user of inTopic.keys()) assert.ok(sentOnes.has(user), `unexpected user ${user}`);
  });
});
