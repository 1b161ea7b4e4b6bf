import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { encodeEvent } from "../events/codec.ts";
import type { ConsumerGroup, InputBatch, InputHandlers } from "./input.ts";
import type { DeadLetterWriter, DeadRecord, ObjectStore } from "./outputs.ts";
import type { SinkMessage } from "./batcher.ts";
import { SinkCore, type SinkOptions, STALL_MS } from "./sink.ts";
import { event } from "./test_fake_cluster.ts";

const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);

/** In-memory collaborators that write every call to one shared log. */
function fakes(log: string[]) {
  let handlers: InputHandlers | undefined;
  const group: ConsumerGroup = {
    prepare: () => Promise.resolve(void log.push("group prepare")),
    run: (h) => {
      handlers = h;
      log.push("group run");
      return Promise.resolve();
    },
    commit: (partition, offset, metadata) => {
      log.push(`commit p${partition} ${offset} ${metadata === null ? "null" : "plan"}`);
      return Promise.resolve();
    },
    committed: () => Promise.resolve(new Map([[0, { offset: 0n, metadata: null }]])),
    ends: () => Promise.resolve([{ partition: 0, low: 0n, high: 3n }]),
    pause: () => void log.push("group pause"),
    rewind: (e) => void log.push(`group rewind ${e.message}`),
    pausePartition: (p) => void log.push(`group pause p${p}`),
    resumePartition: (p) => void log.push(`group resume p${p}`),
    leave: () => Promise.resolve(void log.push("group leave")),
    close: () => Promise.resolve(void log.push("group close")),
  };
  const objects = new Map<string, Uint8Array>();
  const store: ObjectStore = {
    name: "memory",
    prepare: () => Promise.resolve(void log.push("store prepare")),
    put: (key, body) => {
      objects.set(key, body);
      log.push(`put ${key}`);
      return Promise.resolve();
    },
    describeError: (e) => String(e),
    close: () => void log.push("store close"),
  };
  const dead: DeadRecord[] = [];
  const deadLetters: DeadLetterWriter = {
    connect: () => Promise.resolve(void log.push("dlq connect")),
    write: (partition, records) => {
      dead.push(...records);
      log.push(`dlq p${partition} ${records.map((r) => r.offset).join(",")}`);
      return Promise.resolve();
    },
    close: () => Promise.resolve(void log.push("dlq close")),
  };
  return { group, store, deadLetters, objects, dead, handlers: () => handlers! };
}

function batch(partition: number, messages: SinkMessage[], high: bigint): InputBatch {
  return {
    partition,
    highWatermark: high.toString(),
    messages,
    firstOffset: () => messages[0]?.offset ?? null,
    lastOffset: () => messages[messages.length - 1]!.offset,
  };
}

/** Options for one partition of topic "t", writing warnings to `log`. */
function options(
  log: string[],
  limits: { maxRecords: number },
  stallMs = STALL_MS,
): SinkOptions {
  return {
    topic: "t",
    group: "g",
    bucket: "b",
    prefix: "p",
    limits: { maxBytes: 1 << 20, maxAgeMs: 60_000, ...limits },
    compression: "none",
    dlqTopic: "t.dlq",
    partitions: 1,
    untilIdleMs: undefined,
    maxRecordBytes: 1 << 20,
    stallMs,
    log: (l) => log.push(`log ${l}`),
    debug: undefined,
  };
}

const message = (offset: number, value: Uint8Array | null): SinkMessage => ({
  offset: String(offset),
  key: null,
  value,
  timestamp: String(T0),
  headers: {},
});

Deno.test("SinkCore with in-memory collaborators: plan committed, objects stored, then the end offset", async () => {
  const log: string[] = [];
  const f = fakes(log);
  const sink = new SinkCore(f, options(log, { maxRecords: 3 }));
  await sink.start();
  f.handlers().onJoin([0]);
  const resolved: string[] = [];
  await f.handlers().onBatch(
    batch(0, [
      message(0, encodeEvent(event(T0))),
      message(1, null),
      message(2, encodeEvent(event(T0 + 1))),
    ], 3n),
    { resolveOffset: (o) => void resolved.push(o), heartbeat: () => Promise.resolve() },
  );
  // The batch is stored in the background while consuming goes on.
  while (sink.stats.flushes < 1) await new Promise((r) => setTimeout(r, 1));
  await sink.stop();
  await sink.done;

  assertEquals(log, [
    "store prepare",
    "group prepare",
    "dlq connect",
    "group run",
    "commit p0 0 plan",
    "put p/dt=2026-11-24/t+0+0000000000.parquet",
    "dlq p0 1",
    "commit p0 3 null",
    "group pause",
    "group leave",
    "dlq close",
    "group close",
    "store close",
  ]);
  assertEquals(resolved, ["2"]);
  assertEquals(f.dead.map((d) => d.reason), ["value is null (tombstone)"]);
  assertEquals([...f.objects.values()].every((b) => b.byteLength > 0), true);
  assertEquals(
    [sink.stats.records, sink.stats.deadLetters, sink.stats.files, sink.stats.flushes],
    [2, 1, 1, 1],
  );
  assertEquals(sink.stats.lag.get(0), 0);
});

Deno.test("SinkCore replays a recorded plan: cuts exactly at its end, commits no new plan", async () => {
  const log: string[] = [];
  const f = fakes(log);
  const plan = JSON.stringify({ plan: "music-sink-cut:v1", start: "0", end: "2" });
  f.group.committed = () => Promise.resolve(new Map([[0, { offset: 0n, metadata: plan }]]));
  const sink = new SinkCore(f, options(log, { maxRecords: 100 }));
  await sink.start();
  f.handlers().onJoin([0]);
  const messages = [0, 1, 2].map((o) => message(o, encodeEvent(event(T0 + o))));
  await f.handlers().onBatch(batch(0, messages, 3n), {
    resolveOffset: () => {},
    heartbeat: () => Promise.resolve(),
  });
  assertEquals(log.slice(4), ["put p/dt=2026-11-24/t+0+0000000000.parquet", "commit p0 2 null"]);
  await sink.stop();
  // Offset 2 was buffered after the plan's cut and is stored on stop under its own plan.
  assertEquals(log.slice(6, 9), [
    "group pause",
    "commit p0 2 plan",
    "put p/dt=2026-11-24/t+0+0000000002.parquet",
  ]);
});

Deno.test("lag: buffered records dropped by a rejoin count as lag again; a partition taken away is not reported", async () => {
  const log: string[] = [];
  const f = fakes(log);
  const sink = new SinkCore(f, options(log, { maxRecords: 100 }));
  await sink.start();
  f.handlers().onJoin([0, 1]);
  const messages = [0, 1, 2].map((o) => message(o, encodeEvent(event(T0 + o))));
  const ok = { resolveOffset: () => {}, heartbeat: () => Promise.resolve() };
  await f.handlers().onBatch(batch(0, messages, 5n), ok);
  await f.handlers().onBatch(batch(1, messages.slice(0, 1), 1n), ok);
  assertEquals([sink.stats.lag.get(0), sink.stats.lag.get(1)], [2, 0]);
  // The consumer restarts (a broker died): the 3 buffered records of partition 0 are fetched
  // again, so 5 are waiting, not 2; partition 1 went to another sink.
  f.handlers().onRevoke();
  f.handlers().onJoin([0]);
  assertEquals([...sink.stats.lag], [[0, 5]]);
  await sink.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const control = { resolveOffset: () => {}, heartbeat: () => Promise.resolve() };
const events = (from: number, to: number) =>
  Array.from({ length: to - from }, (_, i) => message(from + i, encodeEvent(event(T0 + i))));

Deno.test("a partition that delivers nothing while records wait restarts the consumer (kafkajs can stall silently)", async () => {
  const log: string[] = [];
  const f = fakes(log);
  const sink = new SinkCore(f, options(log, { maxRecords: 100 }, 300));
  await sink.start();
  f.handlers().onJoin([0]); // committed 0, end 3, and no batch comes
  for (let i = 0; i < 40 && !log.some((l) => l.startsWith("group rewind")); i++) await sleep(50);
  assertEquals(log.filter((l) => l.startsWith("group rewind")), [
    "group rewind partition 0 delivered nothing for 0.3 s while 3 records wait",
  ]);
  await sink.stop();
});

Deno.test("no restart for a quiet partition that is caught up, or held back while its batch is stored", async () => {
  const log: string[] = [];
  const f = fakes(log);
  let endsCalls = 0;
  let high = 3n;
  f.group.ends = () => {
    endsCalls++;
    return Promise.resolve([{ partition: 0, low: 0n, high }]);
  };
  const sink = new SinkCore(f, options(log, { maxRecords: 2 }, 1000));
  await sink.start();
  f.handlers().onJoin([0]);
  // Caught up: offsets 0-2 fetched (0-1 stored, 2 buffered), end 3.
  await f.handlers().onBatch(batch(0, events(0, 3), 3n), control);
  await sleep(2600);
  // Checked after 1 s of quiet, then again only after another second.
  assert(endsCalls >= 1 && endsCalls <= 3, `checked ${endsCalls} times in 2.6 s`);
  // Held back: uploads hang, so the partition is paused with batches queued while records wait.
  const landed = Promise.withResolvers<void>();
  f.store.put = () => landed.promise;
  high = 20n;
  await f.handlers().onBatch(batch(0, events(3, 8), 20n), control);
  assert(log.includes("group pause p0"), log.join("\n"));
  await sleep(1600);
  landed.resolve();
  await sink.stop();
  assertEquals(log.filter((l) => l.startsWith("group rewind")), []);
});

Deno.test("no restart for a quiet partition whose committed offset retention has deleted past, with nothing newer", async () => {
  const log: string[] = [];
  const f = fakes(log);
  f.group.ends = () => Promise.resolve([{ partition: 0, low: 3n, high: 3n }]); // committed: 0
  const sink = new SinkCore(f, options(log, { maxRecords: 100 }, 300));
  await sink.start();
  f.handlers().onJoin([0]);
  await sleep(1000);
  await sink.stop();
  assertEquals(log.filter((l) => l.startsWith("group rewind")), []);
});
