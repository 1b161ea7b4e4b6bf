/**
 * The sink's counters and their renderings: Prometheus text (served on
 * `/metrics`), the live progress line and the closing summary.
 *
 * @module
 */
import { UserError } from "../core/errors.ts";
import { formatBytes, formatCount, formatElapsed, type RateMeter } from "../core/progress.ts";

/** Counters, exposed as Prometheus metrics and in the summary. */
export interface SinkStats {
  records: number;
  deadLetters: number;
  files: number;
  bytes: number;
  flushes: number;
  s3Retries: number;
  restarts: number;
  /** Lag per partition as last seen (high watermark − next offset). */
  lag: Map<number, number>;
  startedAt: number;
}

/** Zeroed counters, started now. */
export function newSinkStats(): SinkStats {
  return {
    records: 0,
    deadLetters: 0,
    files: 0,
    bytes: 0,
    flushes: 0,
    s3Retries: 0,
    restarts: 0,
    lag: new Map(),
    startedAt: Date.now(),
  };
}

/** Records behind the partitions' ends, summed over the partitions last seen. */
export function totalLag(stats: SinkStats): number {
  return [...stats.lag.values()].reduce((a, b) => a + b, 0);
}

/** Prometheus text exposition of the sink's counters. */
export function metricsText(stats: SinkStats, topic: string): string {
  const t = `topic="${topic}"`;
  const counters: [string, string, number][] = [
    ["sink_records_total", "Records stored as Parquet rows.", stats.records],
    ["sink_dead_letters_total", "Records sent to the dead-letter topic.", stats.deadLetters],
    ["sink_files_total", "Parquet objects stored.", stats.files],
    ["sink_bytes_total", "Bytes of Parquet stored.", stats.bytes],
    ["sink_s3_retries_total", "Failed S3 uploads that were retried.", stats.s3Retries],
    ["sink_consumer_restarts_total", "Kafka consumer restarts after errors.", stats.restarts],
  ];
  const lines = counters.flatMap(([name, help, value]) => [
    `# HELP ${name} ${help}`,
    `# TYPE ${name} counter`,
    `${name}{${t}} ${value}`,
  ]);
  lines.push(
    "# HELP sink_lag_records Records behind the partition's end, as last fetched.",
    "# TYPE sink_lag_records gauge",
    ...[...stats.lag].map(([p, lag]) => `sink_lag_records{${t},partition="${p}"} ${lag}`),
  );
  return lines.join("\n") + "\n";
}

/**
 * Serves {@link metricsText} on `http://127.0.0.1:PORT/metrics` (404 elsewhere).
 * Throws UserError when the port cannot be bound.
 *
 * @example
 * ```ts
 * const server = serveMetrics(9464, sink.stats, "music_events");
 * await sink.done;
 * await server.shutdown();
 * ```
 */
export function serveMetrics(port: number, stats: SinkStats, topic: string): Deno.HttpServer {
  try {
    return Deno.serve(
      { hostname: "127.0.0.1", port, onListen: () => {} },
      (req) =>
        new URL(req.url).pathname === "/metrics"
          ? new Response(metricsText(stats, topic), {
            headers: { "content-type": "text/plain; version=0.0.4" },
          })
          : new Response("see /metrics\n", { status: 404 }),
    );
  } catch (e) {
    throw new UserError(`Cannot serve metrics on 127.0.0.1:${port}: ${(e as Error).message}`);
  }
}

/**
 * The live status line of a running sink. `task` is `deno task sink`'s line;
 * `demo` is the shorter, indented line `deno task demo` prints. `meter` gives
 * the records per second since its previous call.
 */
export function sinkProgressLine(
  stats: SinkStats,
  meter: RateMeter,
  elapsedMs: number,
  style: "task" | "demo" = "task",
): string {
  const s = stats;
  if (style === "demo") {
    return `  ${formatElapsed(elapsedMs)}  stored ${
      formatCount(s.records)
    } records in ${s.files} files (${formatBytes(s.bytes)}), ${
      formatCount(meter.update(s.records))
    }/s, lag ${formatCount(totalLag(s))}`;
  }
  return `${formatElapsed(elapsedMs)}  stored ${formatCount(s.records)} records (${
    formatCount(meter.update(s.records))
  }/s) in ${formatCount(s.files)} files, ${formatBytes(s.bytes)}; dead letters ${
    formatCount(s.deadLetters)
  }; lag ${formatCount(totalLag(s))}`;
}

/** The line `deno task sink` prints on stdout when it ends. */
export function sinkSummaryLine(stats: SinkStats, now = Date.now()): string {
  const s = stats;
  const secs = (now - s.startedAt) / 1000;
  return `sink done: ${s.records} records in ${s.files} files (${
    (s.bytes / 1e6).toFixed(1)
  } MB), ${s.deadLetters} dead letters, ${secs.toFixed(1)} s`;
}
