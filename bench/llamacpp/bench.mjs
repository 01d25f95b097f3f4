// llama.cpp (node-llama-cpp's prebuilt CPU build) on one GGUF file: prefill a prompt of token ids,
// then generate greedily; prints one JSON line with the times (wall and this process's CPU) and the
// generated ids. Used by bench/llm_bench.py, which interleaves it with petite.
//   node bench/llamacpp/bench.mjs MODEL.gguf THREADS '[ids...]' NEW_TOKENS
import {getLlama} from "node-llama-cpp";

const [gguf, threadsArg, idsArg, newArg] = process.argv.slice(2);
const threads = Number(threadsArg), ids = JSON.parse(idsArg), n = Number(newArg);
const llama = await getLlama({gpu: false, build: "never", maxThreads: threads, logLevel: "error"});
const model = await llama.loadModel({modelPath: gguf});
const ctx = await model.createContext({contextSize: 512, batchSize: 512, threads, sequences: 1});
const seq = ctx.getSequence();
const now = () => performance.now();
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
// warm-up, then clear: the first evaluation allocates the compute buffers
await seq.evaluateWithoutGeneratingNewTokens(ids.slice(0, 4));
await seq.clearHistory();
let t = now(), c = cpu();
await seq.evaluateWithoutGeneratingNewTokens(ids.slice(0, -1));
const prefill = {ms: now() - t, cpu: cpu() - c};
const out = [];
t = now(), c = cpu();
for await (const tok of seq.evaluate([ids[ids.length - 1]], {temperature: 0})) {
  out.push(tok);
  if (out.length >= n) break;
}
const decode = {ms: now() - t, cpu: cpu() - c};
console.log(JSON.stringify({prefill_tokens: ids.length - 1, prefill_ms: prefill.ms, prefill_cpu_ms: prefill.cpu,
                            decode_tokens: out.length, decode_ms: decode.ms, decode_cpu_ms: decode.cpu, tokens: out}));
await ctx.dispose();
await model.dispose();
await llama.dispose();
