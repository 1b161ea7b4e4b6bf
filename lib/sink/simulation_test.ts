/**
 * The exactly-once proof by simulation: the real {@link SinkCore} (its
 * batcher, plans, Parquet output and retries) runs against the in-memory
 * consumer group, object store and dead-letter topic of `fakes_test.ts`.
 *
 * Each seeded run builds a multi-partition topic that keeps growing (event
 * dates crossing midnight UTC, ~6% bad records), starts sink processes with
 * different cut limits, fetches batches of random sizes, holds uploads in
 * flight and lands them in random order, rebalances to a new process (the
 * former owner told at once or late), lets quiet periods pass so the timer
 * cuts, and makes S3 and Kafka answer with errors. Processes crash at random
 * calls — before or after a plan commit, an upload, a dead-letter send or the
 * end commit takes effect — and a fresh process resumes from the committed
 * state, while the dead one's uploads may still arrive later.
 *
 * Every run ends with the stored Parquet objects decoded: the (partition,
 * offset) of every valid record exactly once, in an object of its partition
 * and event date keyed by its first offset; every bad record sent as a dead
 * letter; every partition committed at its end with no plan left; and no
 * object ever replaced by different bytes.
 */
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { mulberry32 } from "../events/generator.ts";
import { encodeEvent } from "../events/codec.ts";
import { SinkCore } from "./sink.ts";
import {
  type Call,
  coord,
  event,
  FakeCluster,
  type FakeMember,
  type Fate,
  type Member,
  newMember,
  replays,
  settle,
  sinkOptions,
  verifyExactlyOnce,
} from "./test_fake_member.ts";

const RUNS = 200;
/** Runs in flight at once: timer cuts and retry backoffs wait in real time, so they overlap. */
const CONCURRENCY = 25;
/** Event times start 90 minutes before midnight UTC and wander across it. */
const T0 = Date.UTC(2026, 10, 24, 22, 30);
const MAX_RECORD_BYTES = 600;

/** Crash points and scenarios the runs went through, summed over all runs. */
interface Coverage {
  crashes: Map<string, number>;
  errors: number;
  replays: number;
  lateSame: number;
  timerCuts: number;
  refused: number;
  rebalances: number;
}

/** One sink process of a run. */
interface Instance {
  member: FakeMember;
  sink: SinkCore;
  /** Batches being handled, by partition. */
  batches: Map<number, Promise<void>>;
  stop: Promise<void> | undefined;
  stopped: boolean;
}

const tick = (ms: number) => new Promise((res) => setTimeout(res, ms));

/** One seeded run: its topic, its processes and the faults it injects. */
class Run {
  readonly cluster: FakeCluster;
  /** Coordinates of the valid and the bad records appended so far. */
  readonly good: string[] = [];
  readonly bad: string[] = [];
  readonly instances: Instance[] = [];
  readonly deadline = Date.now() + 60_000;
  #seed: number;
  #cov: Coverage;
  #rnd: () => number;
  #partitions: number;
  #compression: "none" | "snappy" | "zstd";
  #withTimer: boolean;
  #withErrors: boolean;
  #pending: { partition: number; value: Uint8Array | null; ts: number; bad: boolean }[];
  #byMember = new Map<Member, Instance>();
  #crashesLeft: number;
  #step = 0;
  #nextCrash: number;

  constructor(seed: number, cov: Coverage) {
    this.#seed = seed;
    this.#cov = cov;
    this.#rnd = mulberry32(seed);
    this.#partitions = this.int(1, 3);
    this.cluster = new FakeCluster(this.#partitions);
    this.#compression = this.pick(["none", "snappy", "zstd"] as const);
    this.#withTimer = this.#rnd() < 0.2;
    this.#withErrors = this.#rnd() < 0.1;
    this.#crashesLeft = this.int(0, 6);
    this.#nextCrash = this.int(1, 30);
    // The topic as it will be; records are appended while the sinks run.
    this.#pending = Array.from({ length: this.int(10, 80) }, () => {
      const partition = this.int(0, this.#partitions - 1);
      const ts = T0 + Math.floor((this.#rnd() - 0.3) * 3 * 3_600_000);
      const bad = this.#rnd() < 0.06;
      const oversized = { ...event(ts).event_param, platform_token: "x".repeat(MAX_RECORD_BYTES) };
      const value = bad
        ? this.pick([
          null,
          new TextEncoder().encode("{not json"),
          new TextEncoder().encode('{"event_param":{}}'),
          encodeEvent({ ...event(ts), event_param: oversized }),
        ])
        : encodeEvent(event(ts));
      return { partition, value, ts, bad };
    });
    this.cluster.fault = (call) => this.#fate(call);
  }

  int(lo: number, hi: number): number {
    return lo + Math.floor(this.#rnd() * (hi - lo + 1));
  }

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.#rnd() * xs.length)]!;
  }

  /** Crashes at random calls; errors, and uploads held in flight, at random. */
  #fate(call: Call): Fate {
    this.#step++;
    const what = call.kind === "commit"
      ? (call.metadata ? "commit plan" : "commit end")
      : call.kind;
    const inst = this.#byMember.get(call.member);
    if (what === "commit plan" && inst && !inst.batches.has(call.partition) && !inst.stop) {
      this.#cov.timerCuts++; // no batch being handled, not stopping: the timer cut this batch
    }
    if (this.#crashesLeft > 0 && this.#step >= this.#nextCrash) {
      this.#crashesLeft--;
      this.#nextCrash = this.#step + this.int(1, 30);
      const fate: Fate = this.pick(
        call.kind === "put"
          ? ["crash-before", "crash-after", "crash-inflight"]
          : ["crash-before", "crash-after"],
      );
      const key = `${what} ${fate}`;
      this.#cov.crashes.set(key, (this.#cov.crashes.get(key) ?? 0) + 1);
      return fate;
    }
    if (this.#withErrors && this.#rnd() < 0.05) {
      this.#cov.errors++;
      return "error";
    }
    return call.kind === "put" && this.#rnd() < 0.35 ? "delay" : "ok";
  }

  get allAppended(): boolean {
    return this.#pending.length === 0;
  }

  append(n: number): void {
    for (const r of this.#pending.splice(0, n)) {
      const offset = this.cluster.append(r.partition, r.value, r.ts);
      (r.bad ? this.bad : this.good).push(coord(r.partition, offset));
    }
  }

  /** A new sink process with limits of its own; it joins the group and takes every partition. */
  async start(): Promise<Instance> {
    const member = newMember(this.cluster, this.#rnd() < 0.6);
    const sink = new SinkCore(
      member.parts(),
      sinkOptions({
        compression: this.#compression,
        maxRecordBytes: MAX_RECORD_BYTES,
        partitions: this.#partitions,
        limits: {
          maxRecords: this.int(1, 40),
          maxBytes: this.pick([500, 3_000, 1 << 20]),
          maxAgeMs: this.pick(this.#withTimer ? [0, 100, 100, 3_600_000] : [0, 3_600_000]),
        },
      }),
    );
    const inst: Instance = { member, sink, batches: new Map(), stop: undefined, stopped: false };
    this.instances.push(inst);
    this.#byMember.set(member, inst);
    await sink.start();
    return inst;
  }

  /** Every partition committed at its end. */
  complete(): boolean {
    return this.cluster.log.every((records, p) => {
      const c = this.cluster.committedOffsets.get(p);
      return records.length === 0 ? c === undefined : c?.offset === BigInt(records.length);
    });
  }

  fetch(inst: Instance, p: number): void {
    if (inst.batches.has(p)) return;
    const batch = inst.member.fetch(p, this.int(1, 30));
    if (batch) inst.batches.set(p, batch.finally(() => inst.batches.delete(p)));
  }

  landOne(): void {
    const n = this.cluster.inflight.length;
    if (n > 0) this.cluster.land(this.int(0, n - 1));
  }

  checkDeadline(what: string): void {
    if (Date.now() < this.deadline) return;
    const committed = [...this.cluster.committedOffsets].map(([p, c]) => `${p}:${c.offset}`);
    throw new Error(
      `seed ${this.#seed}: ${what} (committed ${committed}, ends ${
        this.cluster.log.map((r) => r.length)
      }, in flight ${this.cluster.inflight.length})`,
    );
  }

  /** Random steps until every record is appended and committed and the last process stopped. */
  async drive(): Promise<void> {
    this.append(this.int(1, this.#pending.length));
    let cur = await this.start();
    for (;;) {
      this.checkDeadline("stuck");
      if (cur.member.dead || cur.stopped) {
        if (cur.member.dead) void cur.sink.stop(); // clears a dead process's timer
        if (cur.stopped && this.allAppended && this.complete()) return;
        cur = await this.start();
        continue;
      }
      const r = this.#rnd();
      if (!this.allAppended && r < 0.2) this.append(this.int(1, 15));
      else if (r < 0.55) this.fetch(cur, this.int(0, this.#partitions - 1));
      else if (r < 0.8) this.landOne();
      else if (r < 0.83 && this.instances.length < 12) {
        this.#cov.rebalances++;
        cur = await this.start();
      } else if (r < 0.88) this.pick(this.instances).member.deliverRevoke();
      else if (r < 0.9 && this.#withTimer) await tick(300); // quiet: the timer cuts
      else if (this.allAppended && !cur.stop && cur.batches.size === 0) {
        const inst = cur;
        inst.stop = inst.sink.stop().then(() => void (inst.stopped = true));
      }
      await settle();
      // Only timers (retry backoff) can move things on now: let them run.
      if (this.cluster.inflight.length === 0 && this.allAppended) await tick(1);
    }
  }

  /** Late revocations arrive, every process ends, every upload still in flight lands. */
  async finish(): Promise<void> {
    for (const inst of this.instances) inst.member.deliverRevoke();
    const live = this.instances.filter((i) => !i.member.dead);
    let stopped = false;
    const all = Promise.all(live.map((i) => i.stop ?? i.sink.stop()));
    all.then(() => void (stopped = true));
    while (!stopped || this.cluster.inflight.length > 0) {
      this.checkDeadline("processes did not stop");
      this.landOne();
      await settle();
      if (this.cluster.inflight.length === 0) await tick(1);
    }
    await all;
    for (const inst of this.instances) if (inst.member.dead) void inst.sink.stop();
  }
}

/** One seeded run; throws when a record was lost or duplicated, or the run got stuck. */
async function simulate(seed: number, cov: Coverage): Promise<void> {
  const run = new Run(seed, cov);
  await run.drive();
  await run.finish();
  await verifyExactlyOnce(seed, run.cluster, run.good, run.bad);
  cov.refused += run.cluster.refused.length;
  cov.lateSame += run.cluster.puts.filter((p) => p.late && p.replaced === "same").length;
  cov.replays += replays(run.cluster);
}

Deno.test(`simulation: ${RUNS} runs of the real SinkCore with crashes, rebalances and late uploads store every record exactly once`, async () => {
  const cov: Coverage = {
    crashes: new Map(),
    errors: 0,
    replays: 0,
    lateSame: 0,
    timerCuts: 0,
    refused: 0,
    rebalances: 0,
  };
  const failures: string[] = [];
  let next = 1;
  const worker = async () => {
    while (next <= RUNS) {
      const seed = next++;
      await simulate(seed, cov).catch((e: Error) => failures.push(e.message.split("\n")[0]!));
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  if (failures.length > 0) {
    const byCheck = new Map<string, number>();
    for (const f of failures) {
      const check = /^seed \d+: ([^:]+)/.exec(f)?.[1] ?? f;
      byCheck.set(check, (byCheck.get(check) ?? 0) + 1);
    }
    throw new Error(
      `${failures.length} of ${RUNS} runs failed (${
        [...byCheck].map(([c, n]) => `${c}: ${n}`).join(", ")
      }):\n${failures.slice(0, 5).join("\n")}`,
    );
  }

  // The runs went through every crash point and every scenario the proof relies on.
  const points = [
    "commit plan",
    "put",
    "dlq",
    "commit end",
  ].flatMap((w) =>
    (w === "put"
      ? ["crash-before", "crash-after", "crash-inflight"]
      : ["crash-before", "crash-after"])
      .map((f) => `${w} ${f}`)
  );
  const missing = points.filter((p) => !cov.crashes.has(p));
  assertEquals(missing, [], `crash points never reached: ${missing.join(", ")}`);
  const seen = {
    errors: cov.errors > 0,
    replays: cov.replays > 0,
    lateSame: cov.lateSame > 0,
    timerCuts: cov.timerCuts > 0,
    refused: cov.refused > 0,
    rebalances: cov.rebalances > 0,
  };
  assertEquals(seen, {
    errors: true,
    replays: true,
    lateSame: true,
    timerCuts: true,
    refused: true,
    rebalances: true,
  });
});
