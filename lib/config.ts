/**
 * Typed settings from the environment (`.env` is loaded by `deno --env-file`;
 * real environment variables win). Every value is validated once, here, and a
 * bad one fails with the variable's name and what was expected.
 *
 * @module
 */

/** Thrown for a missing or malformed setting; tasks print its message without a stack. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Connection settings shared by every task. */
export interface Config {
  /** Kafka bootstrap servers as `host:port`. */
  kafkaBrokers: string[];
  s3: S3Config;
  clickhouse: ClickHouseConfig;
}

/** Where the S3-compatible server is and how to sign requests. */
export interface S3Config {
  endpoint: string;
  region: string;
  bucket: string;
  accessKey: string;
  secretKey: string;
}

/** ClickHouse HTTP interface. */
export interface ClickHouseConfig {
  url: string;
  user: string;
  password: string;
}

/** Defaults, as in `.env.example` (and the seed project). */
export const DEFAULTS = {
  KAFKA_BROKERS: "127.0.0.1:9092",
  S3_ENDPOINT: "http://127.0.0.1:9000",
  S3_REGION: "us-east-1",
  S3_BUCKET: "prod-python",
  ACCESS_KEY: "minioadmin",
  SECRET_KEY: "minioadmin",
  CLICKHOUSE_URL: "http://127.0.0.1:8123",
  CLICKHOUSE_USER: "click",
  CLICKHOUSE_PASSWORD: "click",
} as const;

/** Names of the variables this project reads. */
export type EnvName = keyof typeof DEFAULTS;

type Env = (name: string) => string | undefined;

const denoEnv: Env = (name) => Deno.env.get(name);

/** Reads a non-empty string variable, or its default. */
export function envString(name: EnvName, env: Env = denoEnv): string {
  const raw = env(name);
  if (raw === undefined) return DEFAULTS[name];
  const value = raw.trim();
  if (value === "") {
    throw new ConfigError(`${name} is set but empty; expected a value such as "${DEFAULTS[name]}"`);
  }
  return value;
}

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

/** Loads and validates all settings. Throws ConfigError on the first bad value. */
export function loadConfig(env: Env = denoEnv): Config {
  const brokers = envString("KAFKA_BROKERS", env).split(",").map((s) => s.trim()).filter(Boolean);
  for (const b of brokers) parseHostPort(b, "KAFKA_BROKERS");
  const s3Endpoint = envString("S3_ENDPOINT", env);
  parseHttpUrl(s3Endpoint, "S3_ENDPOINT");
  const chUrl = envString("CLICKHOUSE_URL", env);
  parseHttpUrl(chUrl, "CLICKHOUSE_URL");
  return {
    kafkaBrokers: brokers,
    s3: {
      endpoint: s3Endpoint.replace(/\/+$/, ""),
      region: envString("S3_REGION", env),
      bucket: checkBucketName(envString("S3_BUCKET", env), "S3_BUCKET"),
      accessKey: envString("ACCESS_KEY", env),
      secretKey: envString("SECRET_KEY", env),
    },
    clickhouse: {
      url: chUrl.replace(/\/+$/, ""),
      user: envString("CLICKHOUSE_USER", env),
      password: envString("CLICKHOUSE_PASSWORD", env),
    },
  };
}

/**
 * Parses a duration such as `500ms`, `30s`, `5m`, `1h` (a bare number is seconds)
 * into milliseconds.
 */
export function parseDuration(value: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) {
    throw new ConfigError(`${what} has "${value}"; expected a duration such as 500ms, 30s, 5m, 1h`);
  }
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h" ?? "s"];
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

/**
 * Per-user cache directory of this project: `STACK_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/music-pipeline`, else `~/.cache/music-pipeline`
 * (`%LOCALAPPDATA%\\music-pipeline` on Windows).
 */
export function cacheDir(env: Env = denoEnv): string {
  const explicit = env("STACK_CACHE_DIR");
  if (explicit) return explicit;
  const xdg = env("XDG_CACHE_HOME");
  if (xdg) return `${xdg}/music-pipeline`;
  // Only read on Windows: elsewhere tasks are not allowed to read it.
  const local = Deno.build.os === "windows" ? env("LOCALAPPDATA") : undefined;
  if (local) return `${local}\\music-pipeline`;
  const home = env("HOME") ?? env("USERPROFILE");
  if (!home) throw new ConfigError("Cannot find a cache directory: set HOME or STACK_CACHE_DIR");
  return `${home}/.cache/music-pipeline`;
}
