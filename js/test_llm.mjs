// test_llm.mjs — the text-generation runner through the ES module (js/petite.mjs) under node: the small
// decoder of tests/llm/make_refs.py (both backends) must give eager PyTorch's greedy tokens; leaving the
// loop early stops; bad bytes and bad settings are refused with a message.
//   node js/test_llm.mjs BUILD_WASM/js/petite.mjs LLM_REF_DIR
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const [, , modulePath, refDir] = process.argv;
const { Petite, PetiteError } = await import(modulePath.startsWith('/') ? modulePath : join(process.cwd(), modulePath));
const petite = await Petite.create();
const greedy = JSON.parse(readFileSync(join(refDir, 'greedy.json'), 'utf8'));
const tok = readFileSync(join(refDir, 'tokenizer.json'));
let passed = 0, failed = 0;
const check = (ok, what) => { if (ok) passed++; else { failed++; console.log('FAIL', what); } };
const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

for (const name of ['tiny_portable.pte', 'tiny_xnnpack.pte']) {
  const llm = petite.llm(readFileSync(join(refDir, name)), tok);
  let text = '';
  for (const piece of llm.generate(greedy.prompt, { maxNewTokens: greedy.tokens.length, ignoreEos: true })) text += piece;
  check(same(llm.tokens, greedy.tokens), `${name}: greedy tokens ${llm.tokens.slice(0, 8)} != eager's ${greedy.tokens.slice(0, 8)}`);
  const st = llm.stats();
  check(st.generatedTokens === greedy.tokens.length && st.stopReason === 'max_tokens' && st.position > 0,
        `${name}: stats ${JSON.stringify(st)}`);
  // leaving the loop stops the generation; the model goes on after a reset
  llm.reset();
  let n = 0;
  for (const piece of llm.generate(greedy.prompt, { ignoreEos: true })) { void piece; if (++n === 3) break; }
  check(llm.stats().stopReason === 'stopped' && llm.tokens.length <= 4, `${name}: a loop left early: ${JSON.stringify(llm.stats())}`);
  llm.reset();
  [...llm.generate(greedy.prompt, { maxNewTokens: 5, ignoreEos: true })];
  check(same(llm.tokens, greedy.tokens.slice(0, 5)), `${name}: generates again after a stop`);
  for (const bad of [{ temperature: -1 }, { topP: 1.5 }, { maxNewTokens: 1.5 }, { temperature: 'hot' }]) {
    try { [...llm.generate(greedy.prompt, bad)]; check(false, `${name}: ${JSON.stringify(bad)} accepted`); }
    catch (e) { check(e instanceof PetiteError, `${name}: ${JSON.stringify(bad)}: ${e}`); }
  }
  llm.free();
  try { [...llm.generate('x')]; check(false, 'generate after free'); } catch (e) { check(e instanceof PetiteError, `${e}`); }
}
// 8da4w: the 4-bit layers on the portable tile loop (wasm has no 4-bit kernel of its own)
{
  const want = JSON.parse(readFileSync(join(refDir, 'greedy_8da4w.json'), 'utf8')).tokens;
  const llm = petite.llm(readFileSync(join(refDir, 'tiny_8da4w.pte')), tok);
  [...llm.generate(greedy.prompt, { maxNewTokens: want.length, ignoreEos: true })];
  check(same(llm.tokens, want), `tiny_8da4w.pte: greedy tokens ${llm.tokens.slice(0, 8)} != eager's ${want.slice(0, 8)}`);
  llm.free();
}
for (const [bytes, t, want] of [[new Uint8Array([1, 2, 3]), tok, /llm:/], [readFileSync(join(refDir, 'tiny_xnnpack.pte')), new Uint8Array(3), /llm:/],
                                ['text', tok, /bytes of a \.pte/]]) {
  try { petite.llm(bytes, t); check(false, 'bad bytes accepted'); }
  catch (e) { check(e instanceof PetiteError && want.test(e.message), `bad bytes: ${e.message}`); }
}
console.log(`wasm llm: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
