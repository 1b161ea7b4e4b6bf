import { RecordBuffer, entryAt, type SinkMessage } from "./lib/sink/batcher.ts";
import { encodeBatch } from "./lib/sink/encode.ts";
const enc = new TextEncoder();
let seed = 7; const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
let fails = 0;
for (let run = 0; run < 300; run++) {
  const buf = new RecordBuffer();
  const all: { off: bigint; m: SinkMessage }[] = [];
  let off = 100n;
  const taken: { off: bigint; m: SinkMessage }[] = [];
  const got: any[] = [];
  for (let step = 0; step < 20; step++) {
    if (rnd() < 0.6) {
      const n = 1 + Math.floor(rnd() * 5);
      const ms: SinkMessage[] = []; const offs: bigint[] = [];
      for (let i = 0; i < n; i++) {
        const r = rnd();
        const value = r < 0.2 ? null : r < 0.3 ? new Uint8Array(0) : enc.encode("v" + off + "x".repeat(Math.floor(rnd()*5)));
        const key = rnd() < 0.5 ? null : enc.encode("k" + off);
        const m: SinkMessage = { offset: String(off), key, value, timestamp: String(1000 + Number(off)), headers: rnd() < 0.3 ? { h: "x" + off } : undefined };
        ms.push(m); offs.push(off); all.push({ off, m }); off += 1n + (rnd() < 0.1 ? 3n : 0n);
      }
      buf.push(ms, offs);
    } else if (buf.count > 0) {
      const n = 1 + Math.floor(rnd() * buf.count);
      const b = buf.take(n, 0);
      for (let i = 0; i < n; i++) got.push({ off: b.offsets[i], v: entryAt(b.values, b.valueEnds, b.valueNull, i), k: entryAt(b.keys, b.keyEnds, b.keyNull, i), h: b.headers.get(i), t: b.timestamps[i] });
    }
  }
  if (buf.count > 0) { const n = buf.count; const b = buf.take(n, 0); for (let i = 0; i < n; i++) got.push({ off: b.offsets[i], v: entryAt(b.values, b.valueEnds, b.valueNull, i), k: entryAt(b.keys, b.keyEnds, b.keyNull, i), h: b.headers.get(i), t: b.timestamps[i] }); }
  if (buf.bytes !== 0 || buf.count !== 0 || buf.offsets.length !== 0) { fails++; console.log("leftover", buf.bytes, buf.count); }
  if (got.length !== all.length) { fails++; console.log("len", got.length, all.length); continue; }
  const dec = new TextDecoder();
  for (let i = 0; i < all.length; i++) {
    const a = all[i].m, g = got[i];
    const same = (x: Uint8Array | null, y: Uint8Array | null) => x === null ? y === null : y !== null && dec.decode(x) === dec.decode(y) && x.byteLength === y.byteLength;
    if (g.off !== all[i].off || !same(a.value, g.v) || !same(a.key, g.k) || (a.headers?.h ?? undefined) !== g.h?.h || g.t !== Number(a.timestamp)) { fails++; console.log("mismatch", run, i, g, a); break; }
  }
}
console.log("RecordBuffer fuzz fails:", fails);

// encode ASCII fast path vs non-ASCII
const ev = (id: number, extra = "") => JSON.stringify({ event_param: { event_type_id: 1, event_type: "playback", user_id: "u" + extra, platform_token: "web_abc", ipv4: "1.2.3.4", country: "US", uuid_track: "123e4567-e89b-42d3-a456-426614174000" }, event_timestamp: { ts: "2024-01-01 00:00:00", ts_ms: 1704067200000 + id } });
function mk(vals: (string | Uint8Array | null)[]) {
  const b = new RecordBuffer();
  b.push(vals.map((v, i) => ({ offset: String(i), key: null, value: typeof v === "string" ? enc.encode(v) : v, timestamp: "1" })), vals.map((_, i) => BigInt(i)));
  return b.take(vals.length, 0);
}
const s = { prefix: "p", topic: "t", compression: "none" as const, maxRecordBytes: 1 << 20 };
for (const vals of [
  [ev(1), null, ev(2), "", ev(3)],
  [ev(1), ev(2, "é"), ev(3)],
  [new Uint8Array([0xef,0xbb,0xbf, ...enc.encode(ev(1))]), ev(2)],
  [ev(1), new Uint8Array([0xff]), ev(3)],
]) {
  const r = encodeBatch(mk(vals as any), s);
  console.log(r.objects.map((o) => o.rows), r.dead.map((d) => [d.index, d.reason]));
}
