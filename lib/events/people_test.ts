import assert from "node:assert/strict";
import {
  formatPerson,
  formatTimestamp,
  parsePerson,
  PERSON_FIELDS,
  PersonGenerator,
  personRecordLine,
} from "./people.ts";

Deno.test("person records have the seed's fields, in order, all strings", () => {
  const p = new PersonGenerator({ seed: 1, now: () => Date.UTC(2024, 0, 2, 3, 4, 5, 678) }).next();
  assert.deepEqual(Object.keys(p), [...PERSON_FIELDS]);
  for (const f of PERSON_FIELDS) assert.equal(typeof p[f], "string");
  assert.match(p.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(p.timestamp, "2024-01-02 03:04:05.678");
});

Deno.test("a seed makes the people reproducible", () => {
  const names = (seed: number) => {
    const g = new PersonGenerator({ seed, now: () => 0 });
    return Array.from({ length: 20 }, () => JSON.stringify(g.next()));
  };
  assert.deepEqual(names(5), names(5));
  assert.notDeepEqual(names(5), names(6));
});

Deno.test("parsePerson accepts a record and explains what is wrong otherwise", () => {
  const p = new PersonGenerator({ seed: 2 }).next();
  const ok = parsePerson(JSON.stringify(p));
  assert.ok(ok.ok);
  assert.deepEqual(ok.person, p);
  assert.deepEqual(parsePerson(null), { ok: false, reason: "value is null" });
  assert.deepEqual(parsePerson("{x"), { ok: false, reason: "value is not JSON" });
  assert.deepEqual(parsePerson("[]"), { ok: false, reason: "value is not a JSON object" });
  assert.deepEqual(parsePerson(JSON.stringify({ ...p, last_name: 3 })), {
    ok: false,
    reason: "last_name: expected a string",
  });
});

Deno.test("formatPerson and formatTimestamp", () => {
  assert.equal(formatTimestamp(0), "1970-01-01 00:00:00.000");
  assert.equal(
    formatPerson({
      uuid: "u",
      first_name: "Ada",
      middle_name: "King",
      last_name: "Lovelace",
      timestamp: "t",
    }),
    "t  Ada King Lovelace  (u)",
  );
});

Deno.test("personRecordLine: readable line, --json text, and non-person values marked", () => {
  const p = new PersonGenerator({ seed: 3, now: () => 0 }).next();
  const bytes = new TextEncoder().encode(JSON.stringify(p));
  assert.equal(personRecordLine(bytes, false), formatPerson(p));
  assert.equal(personRecordLine(bytes, true), JSON.stringify(p));
  assert.equal(personRecordLine(null, false), "(not a person record: null)");
  assert.equal(
    personRecordLine(new TextEncoder().encode("{x"), true),
    "(not a person record: {x)",
  );
});
