import { Kafka, logLevel } from "kafkajs";
const kafka = new Kafka({ brokers: ["127.0.0.1:9092"], clientId: "review", logLevel: logLevel.NOTHING });
const topic = `tmp-review-${Date.now()}`, groupId = `tmp-review-g-${Date.now()}`;
const admin = kafka.admin(); await admin.connect();
await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
const p = kafka.producer(); await p.connect();
await p.send({ topic, messages: [{ value: "a" }, { value: "b" }] }); await p.disconnect();
const c = kafka.consumer({ groupId, retry: { retries: 0 } });
await c.connect(); await c.subscribe({ topic, fromBeginning: true });
let release!: () => void; const held = new Promise<void>((r) => release = r);
let inBatch!: () => void; const entered = new Promise<void>((r) => inBatch = r);
await c.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async () => { inBatch(); await held; } });
await entered;
const stopping = c.stop(); // runner.running = false; waits for eachBatch
await new Promise((r) => setTimeout(r, 100));
let res = "resolved";
try { await c.commitOffsets([{ topic, partition: 0, offset: "2", metadata: "plan" }]); } catch (e) { res = "rejected: " + (e as Error).message; }
console.log("commit during stop:", res);
release(); await stopping;
console.log("committed now:", JSON.stringify(await admin.fetchOffsets({ groupId, topics: [topic] })));
await c.disconnect();
await admin.deleteGroups([groupId]).catch(() => {});
await admin.deleteTopics({ topics: [topic] }); await admin.disconnect();
