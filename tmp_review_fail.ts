import { SinkCore } from "./lib/sink/sink.ts";
import type { ConsumerGroup, InputHandlers } from "./lib/sink/input.ts";
import { eventValue } from "./lib/sink/test_fake_cluster.ts";
import { encodeBatch } from "./lib/sink/encode.ts";
const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);
let handlers!: InputHandlers;
const committed = new Map<number, { offset: bigint; metadata: string | null }>([[0, { offset: 0n, metadata: null }]]);
const log: string[] = [];
const group: ConsumerGroup = {
  prepare: async () => {}, run: async (h) => { handlers = h; },
  commit: async (p, o, m) => { committed.set(p, { offset: o, metadata: m }); log.push(`commit ${o} ${m ? "plan" : "null"}`); },
  committed: async () => new Map(committed), ends: async () => [{ partition: 0, low: 0n, high: 3n }],
  pause: () => {}, leave: async () => {}, close: async () => {},
};
let calls = 0;
const opts = { topic: "t", group: "g", bucket: "b", prefix: "p", limits: { maxRecords: 3, maxBytes: 1 << 20, maxAgeMs: 60_000 }, compression: "none" as const, dlqTopic: "d", partitions: 1, untilIdleMs: 300, maxRecordBytes: 1 << 20, log: (l: string) => log.push(l), debug: undefined };
const sink = new SinkCore({
  group, store: { name: "m", prepare: async () => {}, put: async () => {}, describeError: String, close: () => {} },
  deadLetters: { connect: async () => {}, write: async () => {}, close: async () => {} },
  encoder: { encode: (b) => ++calls === 1 ? Promise.reject(new Error("transient encode failure")) : Promise.resolve(encodeBatch(b, opts)), close: () => {} },
}, opts);
await sink.start();
handlers.onJoin();
const msgs = [0, 1, 2].map((i) => ({ offset: String(i), key: null, value: eventValue(T0 + i), timestamp: String(T0) }));
await handlers.onBatch({ partition: 0, highWatermark: "3", messages: msgs, firstOffset: () => "0", lastOffset: () => "2" }, { resolveOffset: () => {}, heartbeat: async () => {} });
let stopped = false; sink.done.then(() => stopped = true);
await new Promise((r) => setTimeout(r, 3000));
console.log({ stopped, storing: sink.storing, committed: committed.get(0), log });
Deno.exit(0);
