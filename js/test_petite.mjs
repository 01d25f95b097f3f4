// test_petite.mjs — the ES module wrapper under node: every conformance run whose inputs are all
// float32 / int64 tensors goes through js/petite.mjs (open from bytes, run, read the outputs) and must
// match the manifest's expected outputs within its tolerance; a damaged file and a wrong input are
// refused with a message.
//   node js/test_petite.mjs BUILD_WASM/js/petite.mjs CONFORMANCE_DIR
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const [, , modulePath, confDir] = process.argv;
const { Petite, PetiteError } = await import(modulePath.startsWith('/') ? modulePath : join(process.cwd(), modulePath));
const petite = await Petite.create();
const manifest = JSON.parse(readFileSync(join(confDir, 'manifest.json'), 'utf8'));
const ARRAYS = { float32: Float32Array, int64: BigInt64Array };
let passed = 0, failed = 0, runs = 0;
const check = (ok, what) => { if (ok) passed++; else { failed++; console.log('FAIL', what); } };

for (const c of manifest.cases) {
  for (const r of c.runs || []) {
    if (!r.inputs || !r.expect_outputs || c.extra_files?.length) continue;
    if (!r.inputs.every((x) => x.shape && ARRAYS[x.dtype])) continue;
    if (!r.expect_outputs.every((o) => o.dtype === 'float32')) continue;
    let outs;
    if (c.features?.includes('custom-operator')) {
      // no kernel is registered from JS: loading must fail and name the operator
      try {
        petite.open(readFileSync(join(confDir, c.file))).method(r.method);
        check(false, `${c.name}: loads without its custom operator`);
      } catch (e) {
        check(e instanceof PetiteError && /OperatorMissing.*::/.test(e.message), `${c.name}: ${e.message}`);
      }
      continue;
    }
    try {
      const program = petite.open(readFileSync(join(confDir, c.file)));
      const method = program.method(r.method);
      outs = method.run(r.inputs.map((x) => ({
        shape: x.shape,
        data: x.dtype === 'int64' ? BigInt64Array.from(x.data.map(BigInt)) : Float32Array.from(x.data),
      })));
      method.free();
      program.close();
    } catch (e) {
      check(false, `${c.name}: ${e.message}`);
      continue;
    }
    runs++;
    const tol = r.atol ?? 1e-5;
    r.expect_outputs.forEach((want, i) => {
      const got = outs[i];
      const same = got && got.shape.join() === want.shape.join() &&
        want.data.every((v, k) => Math.abs(got.data[k] - v) <= tol + (r.rtol ?? 0) * Math.abs(v));
      check(same, `${c.name} output ${i}`);
    });
  }
}
check(runs >= 5, `ran ${runs} conformance runs through the module`);
try {
  petite.open(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
  check(false, 'a damaged file is refused');
} catch (e) {
  check(e instanceof PetiteError && e.message.length > 10, `damaged file: ${e.message}`);
}
try {
  const add = manifest.cases.find((c) => c.name === 'xnnpack_add');
  const m = petite.open(readFileSync(join(confDir, add.file))).method('forward');
  m.run([{ shape: [4], data: new Float32Array(4) }, { shape: [4], data: new Float32Array(4) }]);
  check(false, 'a wrong input shape is refused');
} catch (e) {
  check(e instanceof PetiteError && /input 0/.test(e.message), `wrong shape: ${e.message}`);
}
// inputs of the wrong type: a PetiteError naming the input, never a TypeError from inside the wrapper
{
  const add = manifest.cases.find((c) => c.name === 'xnnpack_add');
  const m = petite.open(readFileSync(join(confDir, add.file))).method('forward');
  const good = { shape: [3], data: new Float32Array(3) };
  const bad = [
    ['a plain Array as data', [{ shape: [3], data: [1, 2, 3] }, good], /input 0: data must be/],
    ['a typed array instead of { data, shape }', [new Float32Array(3), good], /input 0: expected \{ data/],
    ['null', [good, null], /input 1: expected \{ data/],
    ['no shape', [good, { data: new Float32Array(3) }], /input 1: shape must be/],
    ['a fractional size', [good, { shape: [1.5], data: new Float32Array(3) }], /input 1: shape must be/],
    ['a shape that does not fit the data', [good, { shape: [4], data: new Float32Array(3) }], /input 1: shape \[4\]/],
    ['no data', [{ shape: [3] }, good], /input 0: data must be/],
    ['an unsupported typed array', [{ shape: [3], data: new Uint16Array(3) }, good], /input 0: data must be/],
  ];
  for (const [what, inputs, re] of bad) {
    try {
      m.run(inputs);
      check(false, `${what}: accepted`);
    } catch (e) {
      check(e instanceof PetiteError && re.test(e.message), `${what}: ${e.constructor.name}: ${e.message}`);
    }
  }
  for (const [what, call, re] of [
    ['inputs not an Array', () => m.run(good), /run: expected an Array/],
    ['open of a string', () => petite.open('model.pte'), /open: expected the bytes/],
  ]) {
    try {
      call();
      check(false, `${what}: accepted`);
    } catch (e) {
      check(e instanceof PetiteError && re.test(e.message), `${what}: ${e.constructor.name}: ${e.message}`);
    }
  }
  // still usable: the refused calls left it as it was
  const [y] = m.run([{ shape: [3], data: new Float32Array([1, 2, 3]) }, { shape: [3], data: new Float32Array([1, 1, 1]) }]);
  check(y && y.data[2] === 4, 'a good run after refused inputs');
}
console.log(`es module: ${passed} passed, ${failed} failed (${runs} conformance runs)`);
process.exit(failed ? 1 : 0);
