/**
 * `deno task easy:produce` — the seed's easy_producer.py: person records
 * (uuid, first_name, last_name, middle_name, timestamp) to `my_topic`.
 *
 * @module
 */
import { parseCommand, runMain } from "../lib/core/cli.ts";
import { loadConfig } from "../lib/core/env.ts";
import { parseCount } from "../lib/core/flags.ts";
import { DEFAULT_PERSON_TOPIC, PersonGenerator } from "../lib/events/people.ts";
import { createKafka } from "../lib/kafka/client.ts";
import {
  DELIVERY_TIMEOUT_OPTION,
  produceInteractively,
  producerFlags,
} from "../lib/kafka/produce_cli.ts";

const spec = {
  name: "easy:produce",
  summary: "Produces simple person records to Kafka (the seed's easy_producer), keyed by uuid.",
  options: {
    topic: { type: "string", default: DEFAULT_PERSON_TOPIC },
    rate: { type: "string", default: "1" },
    count: { type: "string" },
    duration: { type: "string" },
    partitions: { type: "string", default: "1" },
    seed: { type: "string" },
    compression: { type: "string", default: "none" },
    "delivery-timeout": DELIVERY_TIMEOUT_OPTION.spec,
  },
  help: {
    topic: "Kafka topic",
    rate: "records per second; 0 = as fast as possible",
    count: "stop after this many records",
    duration: "stop after this long, e.g. 30s, 5m",
    partitions: "partitions when the topic has to be created",
    seed: "random seed, for a reproducible run",
    compression: "batch compression: zstd, gzip or none",
    "delivery-timeout": DELIVERY_TIMEOUT_OPTION.help,
  },
  epilog: "Without --count or --duration it runs until Ctrl-C. If Kafka becomes unreachable\n" +
    "after a good start, it retries for --delivery-timeout before failing.",
} as const;

runMain(async () => {
  const { values: v } = parseCommand(spec, Deno.args);
  const flags = producerFlags(v);
  const cfg = loadConfig();
  const people = new PersonGenerator(
    v.seed !== undefined ? { seed: parseCount(v.seed, "--seed") } : {},
  );
  await produceInteractively({
    kafka: createKafka({ brokers: cfg.kafkaBrokers, clientId: "easy-producer" }),
    brokers: cfg.kafkaBrokers,
    ...flags,
    next: () => {
      const p = people.next();
      return { key: p.uuid, value: JSON.stringify(p) };
    },
  }, "records");
});
