/**
 * `deno task easy:consume` — the seed's easy_consumer.py: prints the person
 * records of `my_topic`, one readable line each.
 *
 * @module
 */
import { parseCommand, runMain } from "../lib/core/cli.ts";
import { loadConfig } from "../lib/core/env.ts";
import { checkTopicName, parseCount } from "../lib/core/flags.ts";
import { onStopSignals } from "../lib/core/process.ts";
import { DEFAULT_PERSON_TOPIC, personRecordLine } from "../lib/events/people.ts";
import { createKafka } from "../lib/kafka/client.ts";
import { consumeTopic } from "../lib/kafka/consume.ts";

/** The seed's consumer group, also the client id shown in broker logs. */
const GROUP = "easy-consumer";

const spec = {
  name: "easy:consume",
  summary: "Prints person records from Kafka (the seed's easy_consumer), one per line.",
  options: {
    topic: { type: "string", default: DEFAULT_PERSON_TOPIC },
    group: { type: "string", default: GROUP },
    "from-beginning": { type: "boolean" },
    max: { type: "string" },
    json: { type: "boolean" },
  },
  help: {
    topic: "Kafka topic",
    group: "consumer group (its committed offsets decide where reading resumes)",
    "from-beginning": "a group without committed offsets starts at the oldest record",
    max: "exit after this many records",
    json: "print each record's JSON instead of the readable line",
  },
  epilog: "Runs until Ctrl-C (or --max records); offsets of printed records are committed.",
} as const;

runMain(async () => {
  const { values: v } = parseCommand(spec, Deno.args);
  const topic = checkTopicName(v.topic, "--topic");
  const cfg = loadConfig();
  const controller = new AbortController();
  const dispose = onStopSignals(() => controller.abort());
  try {
    const n = await consumeTopic({
      kafka: createKafka({ brokers: cfg.kafkaBrokers, clientId: GROUP }),
      brokers: cfg.kafkaBrokers,
      topic,
      group: v.group,
      fromBeginning: v["from-beginning"] ?? false,
      ...(v.max !== undefined ? { max: parseCount(v.max, "--max", 1) } : {}),
      signal: controller.signal,
      onRecord: (m) => console.log(personRecordLine(m.value, v.json ?? false)),
    });
    console.error(`read ${n} record${n === 1 ? "" : "s"} from ${topic}`);
  } finally {
    dispose();
  }
});
