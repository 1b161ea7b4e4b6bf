export * from "./core/cli.ts";
export * from "./core/errors.ts";
