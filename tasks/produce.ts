/**
 * `deno task produce` — the seed's music_producer.py: realistic music events
 * to Kafka, keyed by user, at any rate.
 *
 * @module
 */
import { parseCommand, runMain } from "../lib/core/cli.ts";
import { loadConfig } from "../lib/core/env.ts";
import { ConfigError } from "../lib/core/errors.ts";
import { parseCount, parseDuration } from "../lib/core/flags.ts";
import { eventJson } from "../lib/events/codec.ts";
import { EventGenerator } from "../lib/events/generator.ts";
import { DEFAULT_EVENT_TOPIC } from "../lib/events/schema.ts";
import { createKafka } from "../lib/kafka/client.ts";
import {
  DELIVERY_TIMEOUT_OPTION,
  produceInteractively,
  producerFlags,
} from "../lib/kafka/produce_cli.ts";

const spec = {
  name: "produce",
  summary: "Produces realistic music events (play, pause, resume) to Kafka, keyed by user_id.",
  options: {
    topic: { type: "string", default: DEFAULT_EVENT_TOPIC },
    rate: { type: "string" },
    count: { type: "string" },
    duration: { type: "string" },
    partitions: { type: "string", default: "3" },
    users: { type: "string", default: "1000" },
    tracks: { type: "string", default: "10000" },
    seed: { type: "string" },
    backfill: { type: "string" },
    compression: { type: "string", default: "zstd" },
    "delivery-timeout": DELIVERY_TIMEOUT_OPTION.spec,
  },
  help: {
    topic: "Kafka topic",
    rate: "events per second; 0 = as fast as possible [1; 0 with --backfill]",
    count: "stop after this many events",
    duration: "stop after this long, e.g. 30s, 5m",
    partitions: "partitions when the topic has to be created",
    users: "number of distinct users",
    tracks: "number of distinct tracks",
    seed: "random seed, for a reproducible run",
    backfill: "spread the --count events over this past window (e.g. 7d, 36h) with a daily rhythm",
    compression: "batch compression: zstd, gzip or none",
    "delivery-timeout": DELIVERY_TIMEOUT_OPTION.help,
  },
  epilog:
    "Without --count or --duration it runs until Ctrl-C. SIGINT/SIGTERM: stops generating,\n" +
    "delivers what is in flight, prints the summary and exits 0. If Kafka becomes unreachable\n" +
    "after a good start, it keeps its unacknowledged events and retries for --delivery-timeout;\n" +
    "an unreachable broker at start fails within seconds.",
} as const;

runMain(async () => {
  const { values: v } = parseCommand(spec, Deno.args);
  const backfillMs = v.backfill === undefined ? undefined : parseDuration(v.backfill, "--backfill");
  const flags = producerFlags({ ...v, rate: v.rate ?? (backfillMs === undefined ? "1" : "0") });
  if (backfillMs !== undefined && (backfillMs <= 0 || flags.count === undefined)) {
    throw new ConfigError(
      backfillMs <= 0
        ? `--backfill has "${v.backfill}"; expected a duration > 0, e.g. 7d`
        : "--backfill needs --count: how many events to spread over the window",
    );
  }
  const cfg = loadConfig();
  const generator = new EventGenerator({
    users: parseCount(v.users, "--users", 1),
    tracks: parseCount(v.tracks, "--tracks", 1),
    ...(v.seed !== undefined ? { seed: parseCount(v.seed, "--seed") } : {}),
    ...(backfillMs !== undefined ? { backfillMs, backfillEvents: flags.count! } : {}),
  });
  await produceInteractively({
    kafka: createKafka({ brokers: cfg.kafkaBrokers, clientId: "music-producer" }),
    brokers: cfg.kafkaBrokers,
    ...flags,
    next: () => {
      const e = generator.next();
      return { key: e.event_param.user_id, value: eventJson(e) };
    },
  }, "events");
});
