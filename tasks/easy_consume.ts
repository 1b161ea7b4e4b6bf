/**
 * `deno task easy:consume` — the seed's easy_consumer.py: prints the person
 * records of `my_topic`, one readable line each.
 *
 * @module
 */
import { parseCommand, runMain } from "../lib/cli.ts";
import { checkTopicName, loadConfig, parseCount } from "../lib/config.ts";
import { consumeTopic, createKafka } from "../lib/kafka.ts";
import { formatPerson, parsePerson } from "../lib/people.ts";

const spec = {
  name: "easy:consume",
  summary: "Prints person records from Kafka (the seed's easy_consumer), one per line.",
  options: {
    topic: { type: "string", default: "my_topic" },
    group: { type: "string", default: "easy-consumer" },
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
  const onSignal = () => controller.abort();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  const decoder = new TextDecoder();
  try {
    const n = await consumeTopic({
      kafka: createKafka({ brokers: cfg.kafkaBrokers, clientId: "easy-consumer" }),
      brokers: cfg.kafkaBrokers,
      topic,
      group: v.group,
      fromBeginning: v["from-beginning"] ?? false,
      ...(v.max !== undefined ? { max: parseCount(v.max, "--max", 1) } : {}),
      signal: controller.signal,
      onRecord: (m) => {
        const text = m.value === null ? "null" : decoder.decode(m.value);
        const p = parsePerson(text);
        if (v.json || !p.ok) console.log(p.ok ? text : `(not a person record: ${text})`);
        else console.log(formatPerson(p.person));
      },
    });
    console.error(`read ${n} record${n === 1 ? "" : "s"} from ${topic}`);
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
});
