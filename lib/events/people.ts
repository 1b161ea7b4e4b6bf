/**
 * The seed's "easy" example record: a person with a UUID, names and a
 * timestamp, sent to `my_topic` and read back by `easy:consume` (and by
 * ClickHouse's `easy_consumer` Kafka table, whose columns are all String).
 *
 * @module
 */
import { base, en, Faker } from "@faker-js/faker";

/** Topic of the seed's easy producer and consumer, and the default of the `easy:*` tasks. */
export const DEFAULT_PERSON_TOPIC = "my_topic";

/** One person record as the seed's easy producer sends it. */
export interface Person {
  uuid: string;
  first_name: string;
  last_name: string;
  middle_name: string;
  /** `YYYY-MM-DD HH:MM:SS.mmm` (UTC); a string, as ClickHouse reads it into a String column. */
  timestamp: string;
}

/** Field names in the seed's order. */
export const PERSON_FIELDS = [
  "uuid",
  "first_name",
  "last_name",
  "middle_name",
  "timestamp",
] as const;

/** `2026-01-02 03:04:05.678` for an epoch-ms time (UTC). */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").replace("Z", "");
}

/**
 * Generates person records with faker; deterministic for a given seed and clock.
 *
 * @example
 * ```ts
 * const p = new PersonGenerator({ seed: 1 }).next();
 * const record = { key: p.uuid, value: JSON.stringify(p) };
 * ```
 */
export class PersonGenerator {
  readonly #faker: Faker;
  readonly #now: () => number;

  constructor(opts: { seed?: number; now?: () => number } = {}) {
    this.#faker = new Faker({ locale: [en, base] });
    if (opts.seed !== undefined) this.#faker.seed(opts.seed);
    this.#now = opts.now ?? Date.now;
  }

  /** The next person. */
  next(): Person {
    const f = this.#faker;
    return {
      uuid: f.string.uuid(),
      first_name: f.person.firstName(),
      last_name: f.person.lastName(),
      middle_name: f.person.middleName(),
      timestamp: formatTimestamp(this.#now()),
    };
  }
}

/** Parses a message value into a Person, or explains why it is not one. */
export function parsePerson(
  value: Uint8Array | string | null,
): { ok: true; person: Person } | { ok: false; reason: string } {
  if (value === null) return { ok: false, reason: "value is null" };
  let obj: unknown;
  try {
    obj = JSON.parse(typeof value === "string" ? value : new TextDecoder().decode(value));
  } catch {
    return { ok: false, reason: "value is not JSON" };
  }
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) {
    return { ok: false, reason: "value is not a JSON object" };
  }
  const rec = obj as Record<string, unknown>;
  for (const f of PERSON_FIELDS) {
    if (typeof rec[f] !== "string") return { ok: false, reason: `${f}: expected a string` };
  }
  return { ok: true, person: rec as unknown as Person };
}

/** One readable line: `2026-01-02 03:04:05.678  Jane Q. Doe  (uuid)`. */
export function formatPerson(p: Person): string {
  const middle = p.middle_name ? ` ${p.middle_name}` : "";
  return `${p.timestamp}  ${p.first_name}${middle} ${p.last_name}  (${p.uuid})`;
}

const lineDecoder = new TextDecoder();

/**
 * The line `easy:consume` prints for one message value: the readable
 * {@link formatPerson} line, or with `json` the value's text as is; a value
 * that is not a person record is shown as is, marked.
 */
export function personRecordLine(value: Uint8Array | null, json: boolean): string {
  const text = value === null ? "null" : lineDecoder.decode(value);
  const p = parsePerson(text);
  if (json || !p.ok) return p.ok ? text : `(not a person record: ${text})`;
  return formatPerson(p.person);
}
