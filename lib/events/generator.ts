/**
 * A realistic, deterministic (with a seed) generator of music events, and the
 * small seeded PRNG it draws from.
 *
 * @module
 */
import { base, en, Faker } from "@faker-js/faker";
import { EVENT_TYPES, type EventTypeId, type MusicEvent } from "./schema.ts";

/** Options of {@link EventGenerator}. */
export interface EventGeneratorOptions {
  /** PRNG seed; the same seed (and clock) gives the same events. Random when omitted. */
  seed?: number;
  /** Number of distinct users [1000]. */
  users?: number;
  /** Number of distinct tracks [10000]. */
  tracks?: number;
  /** Clock in epoch milliseconds [Date.now]. */
  now?: () => number;
}

/** Small fast seeded PRNG (mulberry32); returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface User {
  id: string;
  token: string;
  ipv4: string;
  country: string;
  /** Index of the current track, or -1 when idle. */
  track: number;
  paused: boolean;
}

/** Listening behaviour: probabilities of the next action of a user. */
const P_PAUSE_WHILE_PLAYING = 0.3; // else a new track starts
const P_RESUME_WHILE_PAUSED = 0.7; // else the user switches to another track

/**
 * Deterministic (with `seed`) realistic event generator. A population of users
 * (each with a fixed country, IPv4 and platform token) and tracks is built once;
 * {@link next} then only draws from it, so it is cheap. A user plays a track,
 * may pause it, may resume it; pause/resume refer to the track the user is
 * playing, and there is no resume without a pause. Some users and tracks are
 * much more active/popular than others, as in real listening data.
 *
 * @example
 * ```ts
 * const g = new EventGenerator({ seed: 42 });
 * const e = g.next(); // a user's first event is always a "track_playback"
 * ```
 */
export class EventGenerator {
  readonly #rand: () => number;
  readonly #now: () => number;
  readonly #users: User[];
  readonly #tracks: string[];

  constructor(opts: EventGeneratorOptions = {}) {
    const seed = opts.seed ?? Math.floor(Math.random() * 2 ** 32);
    const users = opts.users ?? 1000;
    const tracks = opts.tracks ?? 10_000;
    if (!Number.isInteger(users) || users < 1) {
      throw new RangeError(`users must be ≥ 1, got ${users}`);
    }
    if (!Number.isInteger(tracks) || tracks < 1) {
      throw new RangeError(`tracks must be ≥ 1, got ${tracks}`);
    }
    this.#rand = mulberry32(seed);
    this.#now = opts.now ?? Date.now;
    const faker = new Faker({ locale: [en, base] });
    faker.seed(seed);
    // A few dozen countries, weighted towards the first ones, so "by country" reports show shape.
    const countries = Array.from(
      new Set(Array.from({ length: 40 }, () => faker.location.country())),
    );
    const platforms = ["ios", "android", "web", "desktop", "tv"];
    this.#users = Array.from({ length: users }, () => {
      const platform = platforms[Math.floor(this.#skew(platforms.length, 1.5))]!;
      return {
        id: faker.string.uuid(),
        token: `${platform}-${faker.string.alphanumeric({ length: 24, casing: "lower" })}`,
        ipv4: faker.internet.ipv4(),
        country: countries[this.#skew(countries.length, 2)]!,
        track: -1,
        paused: false,
      };
    });
    this.#tracks = Array.from({ length: tracks }, () => faker.string.uuid());
  }

  /** Index in [0, n) skewed towards 0: larger `power` means more skew. */
  #skew(n: number, power: number): number {
    return Math.min(n - 1, Math.floor(n * this.#rand() ** power));
  }

  /** Number of users in the population. */
  get userCount(): number {
    return this.#users.length;
  }

  /** The next event; its timestamp is the clock's current time. */
  next(): MusicEvent {
    const user = this.#users[this.#skew(this.#users.length, 1.6)]!;
    let id: EventTypeId;
    if (user.track < 0) {
      id = 1;
    } else if (user.paused) {
      id = this.#rand() < P_RESUME_WHILE_PAUSED ? 3 : 1;
    } else {
      id = this.#rand() < P_PAUSE_WHILE_PLAYING ? 2 : 1;
    }
    if (id === 1) {
      user.track = this.#skew(this.#tracks.length, 3);
      user.paused = false;
    } else {
      user.paused = id === 2;
    }
    const ts_ms = Math.floor(this.#now());
    return {
      event_param: {
        event_type_id: id,
        event_type: EVENT_TYPES[id],
        user_id: user.id,
        platform_token: user.token,
        ipv4: user.ipv4,
        country: user.country,
        uuid_track: this.#tracks[user.track]!,
      },
      event_timestamp: { ts: Math.floor(ts_ms / 1000), ts_ms },
    };
  }
}
