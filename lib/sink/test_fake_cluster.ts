/**
 * The shared, durable side of the sink's world for unit tests and the
 * simulation (this file holds no tests itself): a multi-partition topic, the
 * consumer group's committed offsets with metadata, its generation and which
 * member owns each partition, the object store's contents and the dead
 * letters sent; plus helpers (events, options, decoding stored objects) and
 * the end-of-run check of the simulation ({@link verifyExactlyOnce}). The members — sink processes — are `FakeMember`s (`fakes_test.ts`).
 *
 * @module
 */
import { zstdDecompressSync } from "node:zlib";
import { parquetReadObjects } from "hyparquet";
import { encodeEvent } from "../events/codec.ts";
import type { MusicEvent } from "../events/schema.ts";
import type { SinkMessage } from "./batcher.ts";
import type { CommittedOffset, PartitionEnds } from "./input.ts";
import type { SinkOptions } from "./sink.ts";
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { objectKey } from "./plan.ts";

/** What the cluster needs of a member (`FakeMember` in `fakes_test.ts`). */
export interface Member {
  readonly id: number;
  generation: number;
  dead: boolean;
  /** Whether this member owns `partition` in the group's current generation. */
  owns(partition: number): boolean;
  /** Called when a newer member took this member's partitions. */
  revoked(): void;
}

/** A call the sink makes to the outside world. */
export interface Call {
  kind: "commit" | "put" | "dlq";
  member: Member;
  partition: number;
  /** commit: the offset; dlq: the first dead offset. */
  offset?: bigint;
  /** commit: the metadata (a plan, or null). */
  metadata?: string | null;
  /** put: the object key. */
  key?: string;
}

/**
 * The fate of a call: `ok`; `error` (rejected, no effect: S3 answering 503,
 * a broker error); `crash-before` / `crash-after` (the process dies before
 * the call takes effect / after it took effect but before the reply);
 * `delay` (an upload stays in flight until landed); `crash-inflight` (an
 * upload stays in flight and its sender dies meanwhile).
 */
export type Fate = "ok" | "error" | "crash-before" | "crash-after" | "delay" | "crash-inflight";

/** An upload sent but not yet arrived at the store. */
export interface InflightPut {
  key: string;
  body: Uint8Array;
  member: Member;
  arrive: () => void;
}

/** A commit the group accepted. */
export interface AppliedCommit {
  member: number;
  partition: number;
  offset: bigint;
  metadata: string | null;
}

/** The shared, durable side: topic, group coordinator, object store, dead-letter topic. */
export class FakeCluster {
  /** The topic's records, per partition; offset = index. */
  readonly log: SinkMessage[][];
  readonly committedOffsets = new Map<number, CommittedOffset>();
  generation = 0;
  readonly owners = new Map<number, Member>();
  readonly objects = new Map<string, Uint8Array>();
  /** Every upload that arrived, in order. */
  readonly puts: {
    key: string;
    member: number;
    replaced: "new" | "same" | "different";
    /** Sent by a member that is dead or no longer owns the partition when it arrives. */
    late: boolean;
  }[] = [];
  readonly commits: AppliedCommit[] = [];
  /** Commits refused because the member was not the partition's owner in the current generation. */
  readonly refused: { member: number; partition: number; offset: bigint }[] = [];
  readonly deadLetters: { partition: number; offset: bigint }[] = [];
  readonly inflight: InflightPut[] = [];
  readonly members: Member[] = [];
  /** Decides each call's fate (default: all succeed). */
  fault: (call: Call) => Fate | Promise<Fate> = () => "ok";

  /** An empty topic of `partitions` partitions. */
  constructor(partitions: number) {
    this.log = Array.from({ length: partitions }, () => []);
  }

  /** Appends a record; returns its offset. */
  append(partition: number, value: Uint8Array | null, timestamp: number): bigint {
    const records = this.log[partition]!;
    const offset = records.length;
    records.push({ offset: String(offset), key: null, value, timestamp: String(timestamp) });
    return BigInt(offset);
  }

  /** Partition ends, as the admin would report them. */
  ends(): PartitionEnds[] {
    return this.log.map((r, partition) => ({ partition, low: 0n, high: BigInt(r.length) }));
  }

  /** A rebalance that gives every partition to `m`; former owners lose them. */
  join(m: Member): void {
    this.generation++;
    m.generation = this.generation;
    const former = new Set<Member>();
    for (let p = 0; p < this.log.length; p++) {
      const prev = this.owners.get(p);
      if (prev && prev !== m) former.add(prev);
      this.owners.set(p, m);
    }
    for (const f of former) f.revoked();
  }

  /** Stores an upload, noting whether it replaced an object and with which bytes. */
  arrive(key: string, body: Uint8Array, member: Member): void {
    const prev = this.objects.get(key);
    const replaced = prev === undefined ? "new" : sameBytes(prev, body) ? "same" : "different";
    const partition = Number(/\+(\d+)\+\d+\.parquet$/.exec(key)?.[1] ?? -1);
    const late = member.dead || !member.owns(partition);
    this.puts.push({ key, member: member.id, replaced, late });
    this.objects.set(key, body);
  }

  /** Lets the in-flight upload at `index` arrive. */
  land(index: number): void {
    const [put] = this.inflight.splice(index, 1);
    if (!put) return;
    this.arrive(put.key, put.body, put.member);
    put.arrive();
  }

  /** The committed offset of `partition` (-1 when none). */
  committedOffset(partition: number): bigint {
    return this.committedOffsets.get(partition)?.offset ?? -1n;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((x, i) => x === b[i]);
}

/** A valid event at `tsMs` (UTC). */
export function event(tsMs: number): MusicEvent {
  return {
    event_param: {
      event_type_id: 1,
      event_type: "track_playback",
      user_id: "00000000-0000-4000-8000-000000000000",
      platform_token: "t",
      ipv4: "1.2.3.4",
      country: "Chad",
      uuid_track: "00000000-0000-4000-8000-000000000001",
    },
    event_timestamp: { ts: Math.floor(tsMs / 1000), ts_ms: tsMs },
  };
}

/** The encoded value of a valid event at `tsMs`. */
export const eventValue = (tsMs: number): Uint8Array => encodeEvent(event(tsMs));

/** Sink options for tests: prefix `p`, topic `t`, no compression unless asked. */
export function sinkOptions(
  o: Partial<Omit<SinkOptions, "limits">> & { limits?: Partial<SinkOptions["limits"]> } = {},
): SinkOptions {
  const { limits, ...rest } = o;
  return {
    topic: "t",
    group: "g",
    bucket: "b",
    prefix: "p",
    compression: "none",
    dlqTopic: "t.dlq",
    partitions: 1,
    untilIdleMs: undefined,
    maxRecordBytes: 1 << 20,
    log: () => {},
    debug: undefined,
    ...rest,
    limits: { maxRecords: 1000, maxBytes: 1 << 30, maxAgeMs: 3_600_000, ...limits },
  };
}

/** One stored row's coordinates and where it was found. */
export interface StoredRow {
  key: string;
  partition: number;
  offset: bigint;
  tsMs: bigint;
}

/** Decodes every stored object (hyparquet) into the coordinates of its rows. */
export async function storedRows(objects: Map<string, Uint8Array>): Promise<StoredRow[]> {
  const out: StoredRow[] = [];
  for (const [key, bytes] of objects) {
    const rows = await parquetReadObjects({
      file: bytes.buffer.slice(
        bytes.byteOffset,
        bytes.byteOffset + bytes.byteLength,
      ) as ArrayBuffer,
      columns: ["kafka_partition", "kafka_offset", "event_timestamp.ts_ms"],
      compressors: { ZSTD: (input: Uint8Array) => new Uint8Array(zstdDecompressSync(input)) },
    });
    for (const r of rows) {
      out.push({
        key,
        partition: Number(r.kafka_partition),
        offset: BigInt(r.kafka_offset as bigint),
        tsMs: BigInt(r["event_timestamp.ts_ms"] as bigint),
      });
    }
  }
  return out;
}

/** Lets pending promise reactions run (no timers involved). */
export async function settle(rounds = 40): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/** Polls `check` every 10 ms until it holds; throws after `timeoutMs`. */
export async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A record's coordinates as text that sorts by partition, then offset. */
export const coord = (p: number, o: bigint | number): string =>
  `${p}:${String(o).padStart(6, "0")}`;

/** End commits made by a member that did not record the plan it completed (it replayed it). */
export function replays(cluster: FakeCluster): number {
  const planner = new Map<number, number>();
  let n = 0;
  for (const c of cluster.commits) {
    if (c.metadata !== null) planner.set(c.partition, c.member);
    else if (planner.get(c.partition) !== c.member) n++;
  }
  return n;
}

/** Throws `seed N: what: expected …, got …` unless `actual` deep-equals `expected`. */
function expectEqual(seed: number, what: string, actual: unknown, expected: unknown): void {
  try {
    assertEquals(actual, expected);
  } catch {
    const show = (v: unknown) => JSON.stringify(v, (_, x) => typeof x === "bigint" ? `${x}` : x);
    throw new Error(`seed ${seed}: ${what}: expected ${show(expected)}, got ${show(actual)}`);
  }
}

/**
 * Checks a simulation run's end state: every valid record (`good`, as
 * {@link coord}s) in exactly one stored row, in an object of its partition and
 * UTC date keyed by its first offset; every bad record sent as a dead letter;
 * every partition committed at its end with no plan left; no object ever
 * replaced by different bytes. Throws `seed N: <check>: expected …, got …`.
 */
export async function verifyExactlyOnce(
  seed: number,
  cluster: FakeCluster,
  good: string[],
  bad: string[],
): Promise<void> {
  const rows = await storedRows(cluster.objects);
  // Exactly once: stored rows against valid records as multisets of (partition, offset).
  const times = new Map<string, number>();
  for (const r of rows) {
    const c = coord(r.partition, r.offset);
    times.set(c, (times.get(c) ?? 0) + 1);
  }
  const wanted = new Set(good);
  expectEqual(seed, "stored rows", {
    lost: good.filter((c) => !times.has(c)),
    twice: [...times].filter(([, n]) => n > 1).map(([c]) => c),
    unexpected: [...times.keys()].filter((c) => !wanted.has(c)),
  }, { lost: [], twice: [], unexpected: [] });
  expectEqual(seed, "row count", rows.length, good.length);
  // Each object holds rows of one partition and one UTC date, and is keyed by its first offset.
  const first = new Map<string, bigint>();
  for (const r of rows) {
    const date = new Date(Number(r.tsMs)).toISOString().slice(0, 10);
    const f = first.get(r.key);
    if (f === undefined || r.offset < f) first.set(r.key, r.offset);
    expectEqual(
      seed,
      `place of ${r.partition}:${r.offset}`,
      r.key.startsWith(`p/dt=${date}/t+${r.partition}+`),
      true,
    );
  }
  for (const [key, f] of first) {
    const partition = Number(/\+(\d+)\+/.exec(key)![1]);
    const date = /dt=([\d-]+)/.exec(key)![1]!;
    expectEqual(seed, "object key", key, objectKey("p", "t", partition, date, f));
  }
  const dead = [...new Set(cluster.deadLetters.map((d) => coord(d.partition, d.offset)))].sort();
  expectEqual(seed, "dead letters", dead, bad.sort());
  const committed = cluster.log.map((_, p) => {
    const c = cluster.committedOffsets.get(p);
    return c && [String(c.offset), c.metadata];
  });
  const ends = cluster.log.map((r) => r.length > 0 ? [String(r.length), null] : undefined);
  expectEqual(seed, "committed offsets", committed, ends);
  const changed = cluster.puts.filter((p) => p.replaced === "different").map((p) => p.key);
  expectEqual(seed, "objects replaced by different bytes", changed, []);
}
