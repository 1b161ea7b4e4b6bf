/**
 * Reading a topic in a consumer group: a bounded, stoppable loop that hands
 * each record to a callback and commits what was handled.
 *
 * @module
 */
import type { Kafka, KafkaMessage } from "kafkajs";
import { kafkaError } from "./client.ts";

/** Options of {@link consumeTopic}. */
export interface ConsumeOptions {
  kafka: Kafka;
  /** Bootstrap servers, for error messages. */
  brokers: string[];
  topic: string;
  group: string;
  /** Where a group without committed offsets starts: the earliest offset or only new records. */
  fromBeginning: boolean;
  /** Stop after this many records. */
  max?: number;
  /** Aborting stops consuming (offsets of handled records are committed). */
  signal?: AbortSignal;
  /** Called once per record, in partition order. */
  onRecord: (r: KafkaMessage & { partition: number }) => void | Promise<void>;
}

/**
 * Consumes `topic` in `group` until `max` records were handled or `signal`
 * aborts, then commits and disconnects. Returns the number of records handled.
 * Connection failures and broker refusals become a one-line `UserError` (see `kafkaError`).
 *
 * @example
 * ```ts
 * const n = await consumeTopic({
 *   kafka, brokers, topic: "my_topic", group: "easy-consumer", fromBeginning: true, max: 10,
 *   onRecord: (r) => console.log(r.partition, r.offset),
 * });
 * ```
 */
export async function consumeTopic(opts: ConsumeOptions): Promise<number> {
  const consumer = opts.kafka.consumer({ groupId: opts.group });
  const max = opts.max ?? Infinity;
  let handled = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  if (max <= 0) return 0;
  // Pausing makes kafkajs stop within the current batch, so records we did not
  // handle are not marked consumed.
  const onAbort = () => {
    try {
      consumer.pause([{ topic: opts.topic }]);
    } catch { /* not running yet */ }
    finish();
  };
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  if (opts.signal?.aborted) return 0;
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: opts.topic, fromBeginning: opts.fromBeginning });
    // A crash after kafkajs's own retries ends the run with its error.
    let crash: unknown;
    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart) {
        crash = e.payload.error;
        finish();
      }
    });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        if (handled >= max || opts.signal?.aborted) return;
        await opts.onRecord({ ...message, partition });
        handled++;
        if (handled >= max) {
          consumer.pause([{ topic: opts.topic }]);
          finish();
        }
      },
    });
    await finished;
    if (crash !== undefined) throw crash;
  } catch (e) {
    throw kafkaError(e, opts.brokers);
  } finally {
    opts.signal?.removeEventListener("abort", onAbort);
    await consumer.disconnect().catch(() => {});
  }
  return handled;
}
