/**
 * `deno task status` — services, topics, consumer-group lag, the dead-letter
 * topic, the lake and ClickHouse at a glance; `--watch` refreshes,
 * `--format json` is for scripts. Exit 0 when every service is up.
 *
 * @module
 */
import { parseCommand, runMain, UserError } from "../lib/cli.ts";
import { checkBucketName, loadConfig, parseDuration } from "../lib/config.ts";
import { INGEST_DEFAULTS, resolveIngestOptions } from "../lib/clickhouse.ts";
import { defaultPaths } from "../lib/stack.ts";
import {
  exitCode,
  gatherStatus,
  normalizeWatch,
  renderStatus,
  type StatusOptions,
} from "../lib/status.ts";

/** Default refresh period of `--watch` without a value. */
const WATCH_DEFAULT = "2";

const spec = {
  name: "status",
  summary:
    "Shows the pipeline at a glance: services, topics, consumer-group lag, dead letters, the lake, ClickHouse.",
  options: {
    topic: { type: "string", default: "music_events" },
    "easy-topic": { type: "string", default: INGEST_DEFAULTS.easyTopic },
    "dlq-topic": { type: "string" },
    all: { type: "boolean" },
    group: { type: "string", default: "music-sink" },
    bucket: { type: "string" },
    prefix: { type: "string", default: "music_events" },
    "clickhouse-prefix": { type: "string" },
    format: { type: "string", default: "text" },
    watch: { type: "string" },
  },
  help: {
    topic: "The music events topic",
    "easy-topic": "The person records topic",
    "dlq-topic": "Dead-letter topic [TOPIC.dlq]",
    all: "Show every non-internal topic instead of the three above",
    group: "The sink's consumer group (always listed; groups reading the topics shown are too)",
    bucket: "S3 bucket of the lake [S3_BUCKET]",
    prefix: "Key prefix of the lake in the bucket",
    "clickhouse-prefix":
      "Prefix of the ClickHouse table names, as given to clickhouse:init (none by default); its groups are listed",
    format: "Output: text or json",
    watch: `Refresh every SECONDS [${WATCH_DEFAULT}] until Ctrl-C (--watch or --watch=SECONDS)`,
  },
  epilog: [
    "Exit code: 0 when Kafka, S3 and ClickHouse all answer, 1 otherwise. A service that is down",
    "is shown as DOWN and the sections that need it as unavailable.",
    "Lag: records a group has not committed yet (end offset − committed offset, per partition).",
  ].join("\n"),
} as const;

const encoder = new TextEncoder();

function write(text: string): void {
  try {
    Deno.stdout.writeSync(encoder.encode(text));
  } catch (e) {
    // `status | head` closes the pipe early; that is not an error.
    if (!(e instanceof Deno.errors.BrokenPipe)) throw e;
  }
}

async function main(): Promise<number> {
  const { values: v } = parseCommand(spec, normalizeWatch(Deno.args, WATCH_DEFAULT));
  if (v.format !== "text" && v.format !== "json") {
    throw new UserError(`--format has "${v.format}"; expected text or json`);
  }
  const watchMs = v.watch === undefined ? undefined : parseDuration(v.watch, "--watch");
  if (watchMs !== undefined && watchMs < 200) throw new UserError("--watch must be at least 0.2 s");
  const cfg = loadConfig();
  // ClickHouse's groups follow its table prefix, as clickhouse:init and the demo name them.
  const ch = resolveIngestOptions({
    brokers: cfg.kafkaBrokers,
    prefix: v["clickhouse-prefix"] ?? "",
  });
  const opts: StatusOptions = {
    cfg,
    paths: defaultPaths(),
    topics: v.all ? undefined : [v.topic, v["easy-topic"]],
    groups: [v.group, ch.musicGroup, ch.easyGroup],
    dlqTopic: v["dlq-topic"] ?? `${v.topic}.dlq`,
    bucket: checkBucketName(v.bucket ?? cfg.s3.bucket, "--bucket"),
    prefix: v.prefix,
    clickhousePrefix: ch.prefix,
  };
  const show = async (): Promise<number> => {
    const report = await gatherStatus(opts);
    if (v.format === "json") {
      // Watching in JSON prints one compact document per line (NDJSON).
      write(JSON.stringify(report, null, watchMs === undefined ? 2 : undefined) + "\n");
    } else {
      const clear = watchMs !== undefined && Deno.stdout.isTerminal() ? "\x1b[H\x1b[2J" : "";
      const footer = watchMs === undefined
        ? ""
        : `\n(refreshing every ${watchMs / 1000} s; Ctrl-C to stop)\n`;
      write(clear + renderStatus(report) + footer + (clear ? "" : "\n"));
    }
    return exitCode(report);
  };
  if (watchMs === undefined) return await show();

  const stop = Promise.withResolvers<void>();
  const onSignal = () => stop.resolve();
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  let code = 0;
  let stopped = false;
  stop.promise.then(() => (stopped = true));
  try {
    while (!stopped) {
      code = await show();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        stop.promise,
        new Promise((r) => (timer = setTimeout(r, watchMs))),
      ]);
      clearTimeout(timer);
    }
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
  return code;
}

if (import.meta.main) await runMain(main);
