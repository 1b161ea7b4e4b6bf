import { EventGenerator } from "./lib/events/generator.ts";
const [file, seed, n] = Deno.args;
const values = (await Deno.readTextFile(file!)).split("\n").filter((l) => l);
const key = (e: { event_param: Record<string, unknown> }) => {
  const p = e.event_param;
  return [p.event_type_id, p.user_id, p.uuid_track, p.platform_token, p.ipv4, p.country].join("|");
};
const tally = (xs: string[]) => {
  const m = new Map<string, number>();
  for (const s of xs) m.set(s, (m.get(s) ?? 0) + 1);
  return m;
};
const gen = new EventGenerator({ seed: Number(seed), users: 1000, tracks: 10_000 });
const want = tally(Array.from({ length: Number(n) }, () => key(gen.next())));
const got = tally(values.map((v) => key(JSON.parse(v))));
let missing = 0, extra = 0;
for (const [k, c] of want) missing += Math.max(0, c - (got.get(k) ?? 0));
for (const [k, c] of got) extra += Math.max(0, c - (want.get(k) ?? 0));
console.log(`topic ${values.length} records; acked ${n}: ${missing} missing, ${extra} extra`);
