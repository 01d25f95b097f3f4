// regex_reference.mjs — JavaScript's RegExp ("gu") as the reference for src/text/regex.c.
//
//   node tests/text/regex_reference.mjs OUT.jsonl [STRINGS_PER_PATTERN=20000 [SEED]]
//   node tests/text/regex_reference.mjs --bench FILE MB
//
// Writes one JSON object per line: {"pattern":"<hex UTF-8>"} starts a pattern, then for each
// string of a deterministic random corpus {"s":"<hex UTF-8>","m":[start,end,start,end,...]}: the
// split of the string (repeated searches from the end of the previous match, one code point further
// after an empty match) as UTF-8 byte offsets. tests/test_text_unicode.c --regex-ref reads it.
// Then random patterns over the supported syntax ({"pattern":..., "random":true}), 20 short
// random strings each: a random pattern may backtrack exponentially, and the C engine may then
// report its step budget exceeded (counted and printed by the C side, not a failure).
// Inline (?i:...) groups (not in node 20) are rewritten: each literal letter becomes the class of
// every code point /^x$/iu matches. Only code points whose general category is the same in Unicode
// 15 (our tables) and node's ICU go into the corpus.
// --bench FILE MB: writes MB megabytes of mixed text to FILE and prints node's split speed on it
// with the Llama 3 pattern.
import { writeFileSync } from "node:fs";

export const PATTERNS = [
  String.raw`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`,
  String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
  String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
  String.raw`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
  String.raw`\s+`,
  String.raw`\p{P}`,
  String.raw`[0-9]`,
  String.raw` ?[^\s]+`,
  String.raw`\p{N}`,
  String.raw`<\|endoftext\|>|\[UNK\]|\.\.\.|\(\)|\$\^|\{\}|\*\+\?|\\`,
  // engine features beyond the tokenizer patterns
  String.raw`\w+|\d{2,}|.`,
  String.raw`(?:\p{Lu}\p{Ll}*)+?x?|[^]`,
  String.raw`(?=\p{L})\S{2}|(?:[a-z]|\s)*?(?!\p{L})\p{N}+`,
  String.raw`(?:'|\p{L}|)*\d|(?:a?)*?b|(?:\s|){2,4}`,
  String.raw`[\p{Ll}\d-]+|[^\p{L}\s]{1,2}|\P{L}{3}`,
  String.raw`(?i:ss|k|the|'S)|\p{Lt}|\p{Lm}+|\p{Mn}\p{Mc}?|\p{Sk}|\p{Cf}`,
  String.raw`^\p{L}|\p{L}$|\S+?(?=\s)|\u00e9|\u{1F600}|\x41|[\u0600-\u06FF]+|[^\0-\x7F\p{L}]`,
  String.raw`(?:\p{L}+(?:'\p{L}+)?|\p{N}+){1,2}?\s?|[\t\f\v]|\D\W`,
];

// deterministic PRNG (mulberry32)
let seed = 0x5EED1234;
function rnd() {
  seed = (seed + 0x6D2B79F5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (a) => a[Math.floor(rnd() * a.length)];
const range = (a, b) => { const r = []; for (let c = a; c <= b; c++) r.push(c); return r; };

const POOLS = [
  [8, range(0x61, 0x7A)],                                   // a-z
  [3, range(0x41, 0x5A)],                                   // A-Z
  [3, range(0x30, 0x39)],                                   // digits
  [3, [..."!\"#$%&()*+,-./:;<=>?@[\\]^_`{|}~"].map((c) => c.codePointAt(0))],
  [6, [0x20]],                                              // space
  [2, [0x27]],                                              // apostrophe
  [1, [0x09, 0x0A, 0x0D, 0x0B, 0x0C]],
  [2, [0xE9, 0xE0, 0xFC, 0xF1, 0xC5, 0xF8, 0xDF, 0xC9, 0xD6]],  // accented letters
  [1, [0x301, 0x308, 0x327, 0x300, 0x20DD]],               // combining marks (Mn, Me)
  [1, range(0x4E00, 0x4FFF)],                               // CJK
  [1, [...range(0xAC00, 0xAC40), ...range(0xD790, 0xD7A3)]], // Hangul syllables
  [1, [...range(0x1100, 0x1112), ...range(0x1161, 0x1175)]], // conjoining jamo
  [1, [0x1F600, 0x1F44D, 0x1F3FD, 0x200D, 0x2764, 0xFE0F, 0x1F1FA, 0x1F680]], // emoji, ZWJ, VS16
  [1, [...range(0x0621, 0x063A), ...range(0x0641, 0x064A), ...range(0x064B, 0x0652), ...range(0x0660, 0x0669)]],
  [1, [...range(0x0915, 0x0939), ...range(0x093E, 0x094C), ...range(0x0966, 0x096F)]], // Devanagari
  [1, [0x01C5, 0x01C8, 0x01CB, 0x1F88, 0x1FBC]],            // titlecase
  [1, [0x02B0, 0x02B2, 0x30FC, 0x3005]],                    // modifier letters
  [1, [0xB2, 0xBD, 0x216B, 0x2460, 0x00B9]],                // other numbers, letter numbers
  [2, [0xFEFF, 0xA0, 0x2028, 0x2029, 0x3000, 0x2003, 0x85, 0x180E, 0x202F, 0x1680]], // spaces, near-spaces
  [1, [0x017F, 0x212A, 0x212B, 0x3A3, 0x3C2, 0x3C3, 0x410, 0x44F, 0x130, 0x131]], // case-fold edge cases
  [1, [0x20AC, 0x24, 0x2212, 0xA9, 0x2E3A, 0xAB, 0xBB, 0x2019, 0x201C, 0x3001, 0x3002, 0x5F]], // symbols, punctuation
];
const WEIGHTS = POOLS.reduce((s, p) => s + p[0], 0);
const SNIPPETS = ["'s", "'S", "'ll", "'LL", "'re", "'Ve", "'d", "'m", "'t", "'ſ", " 12345", "\r\n", "  \n", "// ", "...", "<|endoftext|>", "[UNK]", "()", "\\", "The", "ss", "k"];

function randomChar() {
  let r = rnd() * WEIGHTS;
  for (const [w, pool] of POOLS) {
    if (r < w) return String.fromCodePoint(pick(pool));
    r -= w;
  }
  return "a";
}

export function randomString() {
  const len = Math.floor(rnd() * rnd() * 60);
  let s = "";
  for (let i = 0; i < len; i++) s += rnd() < 0.08 ? pick(SNIPPETS) : randomChar();
  return s;
}

// (?i:...) -> explicit classes
const orbitCache = new Map();
function orbit(ch) {
  if (!orbitCache.has(ch)) {
    const re = new RegExp("^" + ch + "$", "iu");
    const members = [];
    for (let cp = 0; cp <= 0x10FFFF; cp++) {
      if (cp >= 0xD800 && cp <= 0xDFFF) continue;
      if (re.test(String.fromCodePoint(cp))) members.push(cp);
    }
    orbitCache.set(ch, "[" + members.map((c) => "\\u{" + c.toString(16) + "}").join("") + "]");
  }
  return orbitCache.get(ch);
}

function translate(p) {
  // process each (?i:...) group in turn, keeping the rest verbatim
  let out = "";
  let i = 0;
  while (i < p.length) {
    const k = p.indexOf("(?i:", i);
    if (k < 0) { out += p.slice(i); break; }
    out += p.slice(i, k) + "(?:";
    let j = k + 4, depth = 1;
    while (depth > 0) {
      const c = p[j];
      if (c === undefined) throw new Error("unterminated (?i:");
      if (c === "\\") { out += p.slice(j, j + 2); j += 2; continue; }
      if (c === "[") throw new Error("class inside (?i:) not supported by the translation");
      if (c === "(") depth++;
      if (c === ")") depth--;
      out += /[A-Za-z]/.test(c) ? orbit(c) : c;
      j++;
    }
    i = j;
  }
  return out;
}

// random patterns over the supported syntax (no (?i:), whose JavaScript translation needs literals)
const ATOMS = ["a", "b", "'", " ", ".", "\\s", "\\S", "\\d", "\\w", "\\W", "\\p{L}", "\\p{N}", "\\P{L}",
  "\\p{Lu}", "\\p{M}", "[ab]", "[^a\\s]", "[\\p{L}\\d]", "[^\\p{L}\\p{N}\\s]", "\\r", "\\n", "\u00e9", "\u4e2d",
  "[a-c]", "[^]", "^", "$", "s", "K", "\u00df", "\u03c3", "[s-z]", "[^k]", "\\p{Ll}", "[\\w]", "[^\\W]", "\\p{Lt}"];
const GROUP_QUANTS = ["", "", "?", "??", "{0,2}", "{1,2}", "{2}", "{0,2}?"];
const QUANTS = ["", "", "", "*", "+", "?", "*?", "+?", "??", "{2}", "{0,2}", "{1,3}", "{2,}", "{0,2}?", "{1,}?"];
export function randomPattern(depth = 0) {
  const nalt = rnd() < 0.3 ? 2 + Math.floor(rnd() * 2) : 1;
  const alts = [];
  for (let a = 0; a < nalt; a++) {
    let seq = "";
    const len = Math.floor(rnd() * 4);
    for (let i = 0; i < len; i++) {
      let atom;
      const r = rnd();
      if (depth < 3 && r < 0.25) atom = "(?:" + randomPattern(depth + 1) + ")";
      else if (depth < 3 && r < 0.32) atom = (rnd() < 0.5 ? "(?=" : "(?!") + randomPattern(depth + 1) + ")";
      else if (depth < 3 && r < 0.36) atom = "(" + randomPattern(depth + 1) + ")";
      else atom = pick(ATOMS);
      const quantifiable = !(atom.startsWith("(?=") || atom.startsWith("(?!") || atom === "^" || atom === "$");
      // groups only get bounded quantifiers: nested unbounded ones backtrack exponentially in V8
      // (a group of atoms only, depth 2, may take any quantifier)
      seq += atom + (!quantifiable ? "" : atom.startsWith("(") && depth < 2 ? pick(GROUP_QUANTS) : pick(QUANTS));
    }
    alts.push(seq);
  }
  return alts.join("|");
}
const SUBJECT_CHARS = ["a", "a", "b", "b", "'", " ", " ", "1", "\n", "\r", "\u00e9", "\u4e2d", "A", "\u0301", "!", "\t",
  "s", "S", "\u017f", "k", "K", "\u212a", "\u212b", "\u00c5", "\u00df", "\u1e9e", "\u03c3", "\u03c2", "\u03a3", "\u01c5", "\u01c4"];
function randomSubject() {
  const len = Math.floor(rnd() * 12);
  let s = "";
  for (let i = 0; i < len; i++) s += pick(SUBJECT_CHARS);
  return s;
}

const enc = new TextEncoder();
const hex = (s) => Buffer.from(enc.encode(s)).toString("hex");

// byte offset of each UTF-16 index
function byteOffsets(s) {
  const off = new Array(s.length + 1);
  let b = 0;
  for (let i = 0; i < s.length; i++) {
    off[i] = b;
    const c = s.charCodeAt(i);
    if (c < 0x80) b += 1;
    else if (c < 0x800) b += 2;
    else if (c >= 0xD800 && c <= 0xDBFF) { b += 4; off[++i] = b; /* low half: not a boundary */ }
    else b += 3;
  }
  off[s.length] = b;
  return off;
}

export function split(re, s) {
  const out = [];
  re.lastIndex = 0;
  let m;
  while ((m = re.exec(s)) !== null) {
    out.push([m.index, m.index + m[0].length]);
    if (m[0].length === 0) {
      // exec with "gu" advances lastIndex by a whole code point itself only via matchAll/replace;
      // here: step over one code point
      const c = s.codePointAt(re.lastIndex);
      re.lastIndex += c !== undefined && c > 0xFFFF ? 2 : 1;
      if (re.lastIndex > s.length) break;
    }
  }
  return out;
}

function main() {
  const args = process.argv.slice(2);
  if (args[0] === "--bench") {
    const file = args[1], mb = Number(args[2] || 10);
    seed = 0xBE11C4;
    let parts = [];
    let size = 0;
    while (size < mb * 1e6) { const s = randomString() + " "; parts.push(s); size += Buffer.byteLength(s); }
    const text = parts.join("");
    writeFileSync(file, text);
    const re = new RegExp(translate(PATTERNS[1]), "gu");
    const t0 = process.hrtime.bigint();
    let count = 0;
    for (const _ of text.matchAll(re)) count++;
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    const bytes = Buffer.byteLength(text);
    console.log(`node: ${count} pieces, ${(bytes / 1e6).toFixed(1)} MB in ${dt.toFixed(3)} s: ${(bytes / 1e6 / dt).toFixed(1)} MB/s`);
    return;
  }
  const outPath = args[0];
  const count = Number(args[1] || 20000);
  if (args[2]) seed = Number(args[2]);   // another corpus (default: the fixed seed)
  const corpus = [];
  for (let i = 0; i < count; i++) corpus.push(randomString());
  const lines = [];
  let total = 0;
  let randomPatterns = 0;
  const space = [];
  for (let cp = 0; cp <= 0x10FFFF; cp++)
    if (!(cp >= 0xD800 && cp <= 0xDFFF) && /^\s$/u.test(String.fromCodePoint(cp))) space.push(cp);
  lines.push(JSON.stringify({ space }));
  for (const p of PATTERNS) {
    const re = new RegExp(translate(p), "gu");
    lines.push(JSON.stringify({ pattern: hex(p) }));
    for (const s of corpus) {
      const off = byteOffsets(s);
      const m = [];
      for (const [a, b] of split(re, s)) m.push(off[a], off[b]);
      lines.push(JSON.stringify({ s: hex(s), m }));
      total += m.length / 2;
    }
  }
  // random patterns, each over its own random subjects
  const nrandom = Math.max(1, Math.floor(count / 2));
  for (let k = 0; k < nrandom; k++) {
    const p = randomPattern();
    // a quarter case-insensitive: (?i:p) for the C engine, the "i" flag for JavaScript
    const icase = rnd() < 0.25;
    let re;
    try { re = new RegExp(p, icase ? "giu" : "gu"); } catch (e) { continue; }
    lines.push(JSON.stringify({ pattern: hex(icase ? "(?i:" + p + ")" : p), random: true }));
    for (let j = 0; j < 20; j++) {
      const s = randomSubject();
      const off = byteOffsets(s);
      const m = [];
      for (const [a, b] of split(re, s)) m.push(off[a], off[b]);
      lines.push(JSON.stringify({ s: hex(s), m }));
      total += m.length / 2;
    }
    randomPatterns++;
  }
  writeFileSync(outPath, lines.join("\n") + "\n");
  console.log(`regex reference: ${PATTERNS.length} patterns x ${count} strings + ${randomPatterns} random patterns x 20 strings each, ${total} matches -> ${outPath}`);
}

main();
