export * from "./core/progress.ts";
