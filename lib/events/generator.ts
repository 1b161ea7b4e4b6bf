/**
 * A realistic, deterministic (with a seed) generator of music events: live
 * (each event at the clock's time) or as a backfill of the past (events spread
 * over a window with a daily and weekly rhythm, in user sessions).
 *
 * @module
 */
import { base, en, Faker } from "@faker-js/faker";
import { BackfillClock } from "./backfill.ts";
import { mulberry32 } from "./prng.ts";
import { EVENT_TYPES, type EventTypeId, type MusicEvent } from "./schema.ts";
import { COUNTRY_SHARES, PLATFORM_SHARES, weightedPicker, zipfPicker } from "./world.ts";

export { mulberry32 };

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
  /**
   * Backfill: the first `backfillEvents` events are spread over the
   * `backfillMs` before the clock's time at construction, instead of carrying
   * the current time. Later events are live again. Both or neither.
   */
  backfillMs?: number;
  /** How many events the backfill window holds (see `backfillMs`). */
  backfillEvents?: number;
}

interface User {
  id: string;
  token: string;
  ipv4: string;
  country: string;
  /** Index of the current track, or -1 when idle. */
  track: number;
  paused: boolean;
  /** In a backfill session right now. */
  active: boolean;
  /** Time of the user's last event (epoch ms), -1 before the first. */
  lastMs: number;
}

/** A user's listening session during a backfill: whose, and how many events are left. */
interface Session {
  user: User;
  left: number;
}

/** Listening behaviour: probabilities of the next action of a user. */
const P_PAUSE_WHILE_PLAYING = 0.3; // else a new track starts
const P_RESUME_WHILE_PAUSED = 0.7; // else the user switches to another track
/** A backfill session opening on a paused track resumes it this often (else a new track). */
const P_SESSION_RESUMES = 0.5;
/** Typical time between two events of one listening user (about a track's length). */
const USER_EVENT_SPACING_MS = 150_000;
/** Events of a session: at least this many, plus a geometric number with the mean below. */
const SESSION_MIN_EVENTS = 2;
const SESSION_EXTRA_MEAN = 8;

/**
 * Deterministic (with `seed`) realistic event generator. A population of users
 * (each with a fixed country, IPv4 and platform token) and tracks is built once;
 * {@link next} then only draws from it, so it is cheap. A user plays a track,
 * may pause it, may resume it; pause/resume refer to the track the user is
 * playing, and there is no resume without a pause. Countries follow listener
 * shares of a real service, platforms plausible proportions (the platform is
 * the token's prefix, `ios-…`), track popularity a Zipf law, and some users
 * are much more active than others.
 *
 * With a backfill, events come out in non-decreasing time order (so each
 * user's too), busy in the evening, quiet at night, weekends unlike weekdays;
 * users listen in sessions of a few to a few dozen events minutes apart, many
 * sessions interleaved.
 *
 * @example
 * ```ts
 * const g = new EventGenerator({ seed: 42 });
 * const e = g.next(); // a user's first event is always a "track_playback"
 * const week = new EventGenerator({ seed: 42, backfillMs: 7 * 86_400_000, backfillEvents: 1e5 });
 * ```
 */
export class EventGenerator {
  readonly #rand: () => number;
  readonly #now: () => number;
  readonly #users: User[];
  readonly #tracks: string[];
  readonly #trackPick: (u: number) => number;
  readonly #backfill: BackfillClock | undefined;
  readonly #sessions: Session[] = [];

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
    const country = weightedPicker(COUNTRY_SHARES.map(([, w]) => w));
    const platform = weightedPicker(PLATFORM_SHARES.map(([, w]) => w));
    this.#users = Array.from({ length: users }, () => ({
      id: faker.string.uuid(),
      token: `${PLATFORM_SHARES[platform(this.#rand())]![0]}-${
        faker.string.alphanumeric({ length: 24, casing: "lower" })
      }`,
      ipv4: faker.internet.ipv4(),
      country: COUNTRY_SHARES[country(this.#rand())]![0],
      track: -1,
      paused: false,
      active: false,
      lastMs: -1,
    }));
    this.#tracks = Array.from({ length: tracks }, () => faker.string.uuid());
    this.#trackPick = zipfPicker(tracks);
    this.#backfill = backfillClock(opts, this.#now, this.#rand, seed);
  }

  /** Index in [0, n) skewed towards 0: larger `power` means more skew. */
  #skew(n: number, power: number): number {
    return Math.min(n - 1, Math.floor(n * this.#rand() ** power));
  }

  /** Number of users in the population. */
  get userCount(): number {
    return this.#users.length;
  }

  /** Backfill events still to come (0 without a backfill, or once it is done). */
  get backfillRemaining(): number {
    return this.#backfill?.remaining ?? 0;
  }

  /**
   * The next event. Live, its timestamp is the clock's current time; during a
   * backfill, the next time of the backfill window.
   */
  next(): MusicEvent {
    const t = this.#backfill?.next();
    if (t !== undefined) return this.#nextInSession(t, this.#backfill!.gapMs);
    const user = this.#users[this.#skew(this.#users.length, 1.6)]!;
    const id = this.#action(user);
    return this.#event(user, id, Math.floor(this.#now()));
  }

  /** What `user` does next, by the listening rules; a playback picks its track. */
  #action(user: User): EventTypeId {
    let id: EventTypeId;
    if (user.track < 0) {
      id = 1;
    } else if (user.paused) {
      id = this.#rand() < P_RESUME_WHILE_PAUSED ? 3 : 1;
    } else {
      id = this.#rand() < P_PAUSE_WHILE_PLAYING ? 2 : 1;
    }
    return id;
  }

  /**
   * Applies action `id` to `user`'s state and builds the event at `ts_ms`, or
   * 1 ms after the user's last event if that is later: one person does one
   * thing per millisecond at most, so no two events are ever identical.
   */
  #event(user: User, id: EventTypeId, at: number): MusicEvent {
    const ts_ms = Math.max(at, user.lastMs + 1);
    user.lastMs = ts_ms;
    if (id === 1) {
      user.track = this.#trackPick(this.#rand());
      user.paused = false;
    } else {
      user.paused = id === 2;
    }
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

  /**
   * A backfill event at time `t`. About as many sessions are open as keep
   * each listener's events {@link USER_EVENT_SPACING_MS} apart at the current
   * pace (`gapMs` between any two events): few at night, many in the evening.
   * Below that number a new session opens, else an open one goes on.
   */
  #nextInSession(t: number, gapMs: number): MusicEvent {
    const want = Math.max(
      1,
      Math.min(this.#users.length, Math.round(USER_EVENT_SPACING_MS / gapMs)),
    );
    const ts_ms = Math.floor(t);
    if (this.#sessions.length < want) {
      const user = this.#idleUser();
      if (user) {
        const extra = Math.floor(Math.log(1 - this.#rand()) / Math.log(1 - 1 / SESSION_EXTRA_MEAN));
        // This event is the session's first; SESSION_MIN_EVENTS ≥ 2 leaves at least one more.
        this.#sessions.push({ user, left: SESSION_MIN_EVENTS - 1 + extra });
        user.active = true;
        // A session opens on a new track, or resumes the one left paused.
        const id = user.paused && this.#rand() < P_SESSION_RESUMES ? 3 : 1;
        return this.#event(user, id, ts_ms);
      }
    }
    const i = Math.floor(this.#rand() * this.#sessions.length);
    const s = this.#sessions[i]!;
    if (--s.left <= 0) {
      s.user.active = false;
      this.#sessions[i] = this.#sessions[this.#sessions.length - 1]!;
      this.#sessions.pop();
    }
    return this.#event(s.user, this.#action(s.user), ts_ms);
  }

  /** A user not in a session, more active users more likely; undefined if none is found. */
  #idleUser(): User | undefined {
    for (let tries = 0; tries < 16; tries++) {
      const u = this.#users[this.#skew(this.#users.length, 1.4)]!;
      if (!u.active) return u;
    }
    // Heavy users are all busy: any idle one (there is one, as fewer sessions than users are open).
    return this.#users.find((u) => !u.active);
  }
}

/** The backfill clock of `opts`, or undefined without a backfill. */
function backfillClock(
  opts: EventGeneratorOptions,
  now: () => number,
  rand: () => number,
  seed: number,
): BackfillClock | undefined {
  const { backfillMs: ms, backfillEvents: events } = opts;
  if (ms === undefined && events === undefined) return undefined;
  if (ms === undefined || events === undefined) {
    throw new RangeError("backfillMs and backfillEvents go together");
  }
  if (!Number.isFinite(ms) || ms <= 0) throw new RangeError(`backfillMs must be > 0, got ${ms}`);
  const end = Math.floor(now());
  return new BackfillClock({ startMs: end - ms, endMs: end, events, rand, seed });
}
