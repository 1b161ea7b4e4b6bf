const w = new Worker(new URL("./tmp_review_w.ts", import.meta.url), { type: "module" });
w.onerror = (e) => { e.preventDefault(); console.log("onerror", e.message); };
w.onmessage = (e) => console.log("msg", e.data);
w.postMessage("a");
await new Promise((r) => setTimeout(r, 300));
w.postMessage("boom");
await new Promise((r) => setTimeout(r, 300));
w.postMessage("b");
await new Promise((r) => setTimeout(r, 500));
console.log("done waiting; b answered?");
w.terminate();
import { WorkerEncoders } from "./lib/sink/encoders.ts";
const enc = new WorkerEncoders(1, { prefix: "p", topic: "t", compression: "none", maxRecordBytes: 100 });
enc.close();
try { enc.encode({} as any); } catch (e) { console.log("encode after close throws sync:", (e as Error).message); }
