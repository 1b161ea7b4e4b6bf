/**
 * What the demo is given: its options (defaults resolved by the task), the
 * defaults of its flags, and the error it explains in words.
 *
 * @module
 */
import type { Config } from "../core/env.ts";
import { UserError } from "../core/errors.ts";
import type { StackKind } from "../stack/harness.ts";
import type { StackPaths } from "../stack/processes.ts";

/** Everything the demo needs, defaults resolved by the task. */
export interface DemoOptions {
  cfg: Config;
  paths: StackPaths;
  /** Which stack to bring up (see lib/stack/harness.ts). */
  stack: StackKind;
  /** Events to produce (0: produce nothing, show what is there). */
  events: number;
  /** The produced events are spread over this past window (ms); 0: all at the current time. */
  backfillMs: number;
  topic: string;
  /** Partitions when the topic is created. */
  partitions: number;
  /** The sink's consumer group. */
  group: string;
  bucket: string;
  /** Lake key prefix. */
  prefix: string;
  /** Prefix of the ClickHouse table names; non-empty also gives ClickHouse its own groups. */
  clickhousePrefix: string;
  /** Absolute path of the HTML report. */
  html: string;
  /** How long ClickHouse may take to catch up (ms). */
  waitMs: number;
  /** The sink stops once nothing arrived for this long (ms). */
  idleMs: number;
  /** Seconds to wait for each service when starting the stack. */
  stackTimeoutSec: number;
  /** Lines for standard output. */
  out: (line: string) => void;
  /** Warnings and progress for standard error. */
  err: (line: string) => void;
}

/** The event topic defaults of the demo (as `deno task produce` and `deno task sink`). */
export const DEMO_DEFAULTS = {
  events: 100_000,
  /** A week of history, so hourly and daily reports have a shape. */
  backfill: "7d",
  topic: "music_events",
  group: "music-sink",
  prefix: "music_events",
  html: "report.html",
  partitions: 3,
} as const;

/** A failure the demo explains in words; printed without a stack. */
export class DemoError extends UserError {
  override name = "DemoError";
}
