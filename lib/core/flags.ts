/**
 * Parsers and checks for flag and setting values. Each throws a ConfigError
 * that names the flag or variable and what was expected.
 *
 * @module
 */
import { ConfigError } from "./errors.ts";

/** Parses `host:port` and throws a ConfigError naming `what` when malformed. */
export function parseHostPort(value: string, what: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) {
    throw new ConfigError(`${what} has "${value}"; expected host:port such as 127.0.0.1:9092`);
  }
  return { host: m[1]!, port };
}

/** Parses an http(s) URL and throws a ConfigError naming `what` when malformed. */
export function parseHttpUrl(value: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${what} has "${value}"; expected a URL such as http://127.0.0.1:9000`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`${what} has "${value}"; expected an http:// or https:// URL`);
  }
  return url;
}

/** S3 bucket naming rules (the subset every S3 server enforces). */
export function checkBucketName(name: string, what: string): string {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(name) || name.includes("..")) {
    throw new ConfigError(
      `${what} has "${name}"; a bucket name is 3-63 characters of a-z, 0-9, "." and "-"`,
    );
  }
  return name;
}

/**
 * Kafka topic naming rules (as the broker enforces them): 1-249 characters of
 * a-z, A-Z, 0-9, ".", "_" and "-", and not "." or "..". Checked up front so a
 * bad `--topic` fails with the rule instead of a broker error.
 */
export function checkTopicName(name: string, what: string): string {
  if (!/^[a-zA-Z0-9._-]{1,249}$/.test(name) || name === "." || name === "..") {
    throw new ConfigError(
      `${what} has "${name}"; a Kafka topic name is 1-249 characters of a-z, A-Z, 0-9, ".", "_" ` +
        `and "-" (not "." or "..")`,
    );
  }
  return name;
}

/**
 * Parses a duration such as `500ms`, `30s`, `5m`, `1h`, `7d` (a bare number is seconds)
 * into milliseconds.
 */
export function parseDuration(value: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(value.trim());
  if (!m) {
    throw new ConfigError(
      `${what} has "${value}"; expected a duration such as 500ms, 30s, 5m, 1h, 7d`,
    );
  }
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[
    m[2] as "ms" | "s" | "m" | "h" | "d" ?? "s"
  ];
  return Math.round(Number(m[1]) * unit);
}

/** Parses a non-negative integer flag. */
export function parseCount(value: string, what: string, min = 0): number {
  if (!/^\d+$/.test(value.trim()) || Number(value) < min) {
    throw new ConfigError(`${what} has "${value}"; expected a whole number ≥ ${min}`);
  }
  return Number(value);
}

/** Parses a size such as `64MB`, `512KiB`, `1000` (bytes). */
export function parseBytes(value: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?$/i.exec(value.trim());
  if (!m) throw new ConfigError(`${what} has "${value}"; expected a size such as 64MiB`);
  const units: Record<string, number> = {
    b: 1,
    kb: 1e3,
    kib: 1024,
    mb: 1e6,
    mib: 1024 ** 2,
    gb: 1e9,
    gib: 1024 ** 3,
  };
  return Math.round(Number(m[1]) * units[(m[2] ?? "b").toLowerCase()]!);
}

/** Validates a YYYY-MM-DD date given on the command line. */
export function parseDate(value: string, what: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim());
  const d = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : undefined;
  if (!m || !d || d.toISOString().slice(0, 10) !== value.trim()) {
    throw new ConfigError(`${what} has "${value}"; expected a date such as 2024-05-31`);
  }
  return value.trim();
}

/**
 * Lets a string flag be given without its value: `--FLAG` not followed by a
 * value that `isValue` accepts becomes `--FLAG=fallback` (`--watch` → every 2 s).
 */
export function optionalValue(
  args: readonly string[],
  flag: string,
  isValue: (s: string) => boolean,
  fallback: string,
): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--") return [...out, ...args.slice(i)];
    out.push(a === flag && !isValue(args[i + 1] ?? "") ? `${flag}=${fallback}` : a);
  }
  return out;
}
