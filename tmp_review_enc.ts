import { RecordBuffer } from "./lib/sink/batcher.ts";
import { encodeBatch } from "./lib/sink/encode.ts";
import { decodeEvent, encodeEvent } from "./lib/events/codec.ts";
import { event } from "./lib/sink/test_fake_cluster.ts";
const enc = new TextEncoder();
const T0 = Date.UTC(2026, 10, 24, 23, 0, 0);
function mk(vals: (Uint8Array | null)[]) {
  const b = new RecordBuffer();
  b.push(vals.map((v, i) => ({ offset: String(i), key: null, value: v, timestamp: "1" })), vals.map((_, i) => BigInt(i)));
  return b.take(vals.length, 0);
}
const s = { prefix: "p", topic: "t", compression: "none" as const, maxRecordBytes: 1 << 20 };
const e = (i: number) => encodeEvent(event(T0 + i));
const cases: Record<string, (Uint8Array | null)[]> = {
  ascii_nulls_empty: [e(1), null, e(2), new Uint8Array(0), e(3)],
  bom_first: [new Uint8Array([0xef, 0xbb, 0xbf, ...e(1)]), e(2)],
  bom_middle: [e(1), new Uint8Array([0xef, 0xbb, 0xbf, ...e(2)])],
  invalid: [e(1), new Uint8Array([0xff]), e(3)],
  split_utf8: [new Uint8Array([...e(1), 0xc3]), new Uint8Array([0xa9]), e(3)],
  json_ws: [enc.encode(" " + new TextDecoder().decode(e(1)) + "\n"), e(2)],
};
for (const [name, vals] of Object.entries(cases)) {
  const r = encodeBatch(mk(vals), s);
  const rows = r.objects.reduce((n, o) => n + o.rows, 0);
  const expect = vals.map((v) => decodeEvent(v, s.maxRecordBytes));
  const okExpect = expect.filter((x) => x.ok).length;
  const deadExpect = expect.map((x, i) => x.ok ? null : [i, x.reason]).filter(Boolean);
  console.log(name, "rows", rows, "expected", okExpect, JSON.stringify(r.dead.map((d) => [d.index, d.reason])) === JSON.stringify(deadExpect) ? "dead same" : ["dead DIFF", r.dead.map(d=>[d.index,d.reason]), deadExpect]);
}
