// petite.mjs — petite in WebAssembly as an ES module: load a .pte from bytes, run a method on typed
// arrays, read the outputs. Wraps the C API of include/petite/petite.h compiled by emscripten
// (js/petite_core.mjs, built by CMake's petite_wasm target under emcmake).
//
//   import { Petite } from './petite.mjs';
//   const petite = await Petite.create();
//   const program = petite.open(bytes);                 // Uint8Array of a .pte
//   const method = program.method('forward');
//   const [y] = method.run([{ data: new Float32Array([1, 2, 3]), shape: [3] }]);
//   y.data, y.shape, y.dtype;  method.free(); program.close();
//
//   const llm = petite.llm(pteBytes, tokenizerBytes);    // text generation (petite_llm.h)
//   for (const piece of llm.generate('Once upon a time', { maxNewTokens: 32 })) out += piece;
//   llm.tokens, llm.stats(), llm.stop(), llm.reset(), llm.free();
import createCore from './petite_core.mjs';

const DTYPES = { 0: Uint8Array, 1: Int8Array, 2: Int16Array, 3: Int32Array, 4: BigInt64Array, 6: Float32Array,
                 7: Float64Array, 11: Uint8Array };
const DTYPE_OF = new Map([[Uint8Array, 0], [Int8Array, 1], [Int16Array, 2], [Int32Array, 3], [BigInt64Array, 4],
                          [Float32Array, 6], [Float64Array, 7]]);
const IO_INFO_BYTES = 512; // more than sizeof(petite_io_info) in wasm32 (checked at create)

export class PetiteError extends Error {}

const typeName = (v) => (v === null ? 'null' : Array.isArray(v) ? 'an Array'
  : typeof v === 'object' ? (v.constructor?.name || 'an object') : typeof v);
const ARRAY_NAMES = 'Float32Array, Float64Array, Int8Array, Uint8Array, Int16Array, Int32Array or BigInt64Array';

// One input of Method.run, checked before anything reaches the C side: { data: a typed array of a
// supported type, shape: non-negative integers whose product is data.length }; its dtype code.
function checkInput(x, i) {
  if (x === null || typeof x !== 'object' || ArrayBuffer.isView(x))
    throw new PetiteError(`input ${i}: expected { data: TypedArray, shape: [...] }, got ${typeName(x)}`);
  const { data, shape } = x;
  const dtype = data != null ? DTYPE_OF.get(data.constructor) : undefined;
  if (dtype === undefined)
    throw new PetiteError(`input ${i}: data must be a ${ARRAY_NAMES}, got ${typeName(data)}`);
  if (!Array.isArray(shape) || !shape.every((v) => Number.isSafeInteger(v) && v >= 0))
    throw new PetiteError(`input ${i}: shape must be an Array of non-negative integers, got ${
      Array.isArray(shape) ? JSON.stringify(shape.map((v) => (typeof v === 'bigint' ? `${v}n` : v))) : typeName(shape)}`);
  const numel = shape.reduce((a, v) => a * v, 1);
  if (numel !== data.length)
    throw new PetiteError(`input ${i}: shape [${shape.join(', ')}] holds ${numel} elements, data has ${data.length}`);
  return dtype;
}

export class Petite {
  static async create() { return new Petite(await createCore()); }
  constructor(core) {
    this.m = core;
    const c = (name, ret, args) => core.cwrap(name, ret, args);
    this.f = {
      lastError: c('petite_last_error', 'string', []),
      openBuffer: c('petite_program_open_buffer', 'number', ['number', 'number', 'number', 'number']),
      close: c('petite_program_close', null, ['number']),
      load: c('petite_method_load', 'number', ['number', 'string', 'number']),
      free: c('petite_method_free', null, ['number']),
      errmsg: c('petite_method_errmsg', 'string', ['number']),
      ioCount: c('petite_method_io_count', 'number', ['number', 'number', 'number']),
      ioInfo: c('petite_method_io_info', 'number', ['number', 'number', 'number', 'number']),
      setInput: c('petite_method_set_input', 'number',
                  ['number', 'number', 'number', 'number', 'number', 'number', 'number', 'number']),
      run: c('petite_method_run', 'number', ['number']),
      outputData: c('petite_method_output_data', 'number', ['number', 'number', 'number', 'number']),
      ioLayout: c('petite_wasm_io_layout', 'number', ['number']),
      llmLoad: c('petite_llm_load', 'number', ['string', 'string', 'number', 'number']),
      llmFree: c('petite_llm_free', null, ['number']),
      llmErrmsg: c('petite_llm_errmsg', 'string', ['number']),
      llmLastError: c('petite_llm_last_error', 'string', []),
      llmStop: c('petite_llm_stop', null, ['number']),
      llmReset: c('petite_llm_reset', null, ['number']),
      llmContext: c('petite_llm_context_length', 'number', ['number']),
      llmBegin: c('petite_wasm_llm_begin', 'number',
                  ['number', 'string', 'number', 'number', 'number', 'number', 'number', 'number', 'number', 'number']),
      llmNext: c('petite_wasm_llm_next', 'number', ['number', 'number']),
      llmStats: c('petite_wasm_llm_stats', null, ['number', 'number']),
    };
    this.llms = 0;
    // field offsets of petite_io_info, asked of the compiled code (not assumed)
    const off = this.m._malloc(64);
    this.f.ioLayout(off);
    const o = new Int32Array(this.m.HEAP32.buffer, off, 8);
    this.io = { kind: o[0], dtype: o[1], rank: o[2], sizes: o[3], nbytes: o[4], size: o[5] };
    this.m._free(off);
    if (this.io.size > IO_INFO_BYTES) throw new PetiteError('petite_io_info is larger than the wrapper expects');
  }
  check(status, what) {
    if (status !== 0) throw new PetiteError(`${what}: ${this.f.lastError()}`);
  }
  open(bytes) {
    if (bytes instanceof ArrayBuffer) bytes = new Uint8Array(bytes);
    else if (ArrayBuffer.isView(bytes) && !(bytes instanceof Uint8Array))
      bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (!(bytes instanceof Uint8Array))
      throw new PetiteError(`open: expected the bytes of a .pte (Uint8Array or ArrayBuffer), got ${typeName(bytes)}`);
    const m = this.m, buf = m._malloc(bytes.length || 1), out = m._malloc(4);
    m.HEAPU8.set(bytes, buf);
    const s = this.f.openBuffer(buf, bytes.length, 0 /* PETITE_COPY */, out);
    const handle = m.HEAP32[out >> 2];
    m._free(buf);
    m._free(out);
    this.check(s, 'open');
    return new Program(this, handle);
  }
  // A text-generation model (a .pte in ExecuTorch's LLM layout, as petite-export --task text-generation
  // writes) and its tokenizer, from bytes. tokenizerName tells the tokenizer's kind by its name, as a
  // file's would (tokenizer.json, tokenizer.model, *.tiktoken). Both are kept in the module's memory
  // file system until free().
  llm(modelBytes, tokenizerBytes, { tokenizerName = 'tokenizer.json' } = {}) {
    const asBytes = (b, what) => {
      if (b instanceof ArrayBuffer) return new Uint8Array(b);
      if (ArrayBuffer.isView(b)) return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      throw new PetiteError(`llm: expected the bytes of ${what} (Uint8Array or ArrayBuffer), got ${typeName(b)}`);
    };
    const model = asBytes(modelBytes, 'a .pte'), tok = asBytes(tokenizerBytes, 'a tokenizer');
    if (typeof tokenizerName !== 'string' || !/^[\w.-]+$/.test(tokenizerName))
      throw new PetiteError(`llm: tokenizerName must be a plain file name, got ${JSON.stringify(tokenizerName)}`);
    const FS = this.m.FS, dir = `/petite-llm-${++this.llms}`;
    FS.mkdir(dir);
    FS.writeFile(`${dir}/model.pte`, model);
    FS.writeFile(`${dir}/${tokenizerName}`, tok);
    const out = this.m._malloc(4);
    const s = this.f.llmLoad(`${dir}/model.pte`, `${dir}/${tokenizerName}`, 0, out);
    const handle = this.m.HEAP32[out >> 2];
    this.m._free(out);
    if (s !== 0) {
      const msg = this.f.llmLastError();
      removeDir(FS, dir);
      throw new PetiteError(`llm: ${msg}`);
    }
    return new LLM(this, handle, dir);
  }
}

function removeDir(FS, dir) {
  for (const name of FS.readdir(dir)) if (name !== '.' && name !== '..') FS.unlink(`${dir}/${name}`);
  FS.rmdir(dir);
}

const STOP_REASONS = ['running', 'eos', 'max_tokens', 'stop_string', 'stopped', 'context_full', 'error'];

// A loaded model: generate() is an iterator of text pieces (a piece may be '' where a token ends
// mid-character); leaving the loop early stops the generation. The conversation goes on across calls
// until reset().
export class LLM {
  constructor(p, handle, dir) { this.p = p; this.h = handle; this.dir = dir; this.tokens = []; }
  get contextLength() { return this.p.f.llmContext(this.h); }
  * generate(prompt, { maxNewTokens = -1, temperature = 0, topP = 0, topK = 0, seed = 1, echo = false,
                       ignoreEos = false, addSpecial = true } = {}) {
    const f = this.p.f, m = this.p.m;
    if (!this.h) throw new PetiteError('generate: this model was freed');
    if (typeof prompt !== 'string') throw new PetiteError(`generate: the prompt must be a string, got ${typeName(prompt)}`);
    for (const [k, v] of Object.entries({ maxNewTokens, topK, seed }))
      if (!Number.isSafeInteger(v)) throw new PetiteError(`generate: ${k} must be an integer, got ${v}`);
    for (const [k, v] of Object.entries({ temperature, topP }))
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new PetiteError(`generate: ${k} must be a number, got ${v}`);
    const s = f.llmBegin(this.h, prompt, maxNewTokens, temperature, topP, topK, seed, echo ? 1 : 0, ignoreEos ? 1 : 0,
                         addSpecial ? 1 : 0);
    if (s !== 0) throw new PetiteError(`generate: ${f.llmErrmsg(this.h)}`);
    this.tokens = [];
    const out = m._malloc(16);
    let done = false;
    try {
      while (!done) {
        if (f.llmNext(this.h, out) !== 0) { done = true; throw new PetiteError(`generate: ${f.llmErrmsg(this.h)}`); }
        const w = new Int32Array(m.HEAP32.buffer, out, 4);
        const ptr = w[0], len = w[1], token = w[2];
        done = w[3] !== 0;
        if (token >= 0) this.tokens.push(token);
        const text = len > 0 ? new TextDecoder().decode(m.HEAPU8.slice(ptr, ptr + len)) : '';
        if (text || !done) yield text;
      }
    } finally {
      if (!done) { // the consumer left the loop: stop, and let the runner end the generation
        f.llmStop(this.h);
        for (let w = new Int32Array(m.HEAP32.buffer, out, 4); f.llmNext(this.h, out) === 0;) {
          w = new Int32Array(m.HEAP32.buffer, out, 4);
          if (w[3] !== 0) break;
        }
      }
      m._free(out);
    }
  }
  stop() { if (this.h) this.p.f.llmStop(this.h); }
  reset() { if (this.h) this.p.f.llmReset(this.h); this.tokens = []; }
  stats() {
    const m = this.p.m, b = m._malloc(13 * 8);
    this.p.f.llmStats(this.h, b);
    const v = Array.from(new Float64Array(m.HEAPF64.buffer, b, 13));
    m._free(b);
    return { loadMs: v[0], prefillMs: v[1], firstTokenMs: v[2], decodeMs: v[3], samplingMs: v[4], promptTokens: v[5],
             generatedTokens: v[6], prefillTokensPerS: v[7], decodeTokensPerS: v[8], kvCacheBytes: v[9], position: v[10],
             stopReason: STOP_REASONS[v[11]] || 'unknown', decodeCpuMs: v[12] };
  }
  free() {
    if (!this.h) return;
    this.p.f.llmFree(this.h);
    this.h = 0;
    removeDir(this.p.m.FS, this.dir);
  }
}

export class Program {
  constructor(p, handle) { this.p = p; this.h = handle; }
  method(name = 'forward') {
    if (typeof name !== 'string') throw new PetiteError(`method: the name must be a string, got ${typeName(name)}`);
    const m = this.p.m, out = m._malloc(4);
    const s = this.p.f.load(this.h, name, out);
    const handle = m.HEAP32[out >> 2];
    m._free(out);
    this.p.check(s, `load ${name}`);
    return new Method(this.p, handle);
  }
  close() { this.p.f.close(this.h); this.h = 0; }
}

export class Method {
  constructor(p, handle) { this.p = p; this.h = handle; }
  info(io, i) {
    const m = this.p.m, L = this.p.io, b = m._malloc(IO_INFO_BYTES);
    m.HEAPU8.fill(0, b, b + IO_INFO_BYTES);
    const s = this.p.f.ioInfo(this.h, io, i, b);
    const dv = new DataView(m.HEAPU8.buffer, b, IO_INFO_BYTES);
    const rank = dv.getInt32(L.rank, true), shape = [];
    for (let d = 0; d < rank; d++) shape.push(Number(dv.getBigInt64(L.sizes + 8 * d, true)));
    const r = { kind: dv.getInt32(L.kind, true), dtype: dv.getInt32(L.dtype, true), shape,
                nbytes: Number(dv.getBigInt64(L.nbytes, true)) };
    m._free(b);
    if (s !== 0) throw new PetiteError(`io info: ${this.p.f.errmsg(this.h)}`);
    return r;
  }
  count(io) {
    const m = this.p.m, b = m._malloc(4);
    this.p.f.ioCount(this.h, io, b);
    const n = m.HEAPU32[b >> 2];
    m._free(b);
    return n;
  }
  run(inputs) {
    const m = this.p.m, f = this.p.f;
    if (!Array.isArray(inputs))
      throw new PetiteError(`run: expected an Array of inputs ({ data, shape }), got ${typeName(inputs)}`);
    const dtypes = inputs.map(checkInput); // every input checked before any is set
    inputs.forEach((x, i) => {
      const dtype = dtypes[i];
      const bytes = new Uint8Array(x.data.buffer, x.data.byteOffset, x.data.byteLength);
      const d = m._malloc(bytes.length || 1), sh = m._malloc(8 * Math.max(1, x.shape.length));
      m.HEAPU8.set(bytes, d);
      x.shape.forEach((v, k) => { new DataView(m.HEAPU8.buffer).setBigInt64(sh + 8 * k, BigInt(v), true); });
      const s = f.setInput(this.h, i, dtype, x.shape.length, sh, d, bytes.length, 0);
      m._free(d);
      m._free(sh);
      if (s !== 0) throw new PetiteError(`input ${i}: ${f.errmsg(this.h)}`);
    });
    if (f.run(this.h) !== 0) throw new PetiteError(`run: ${f.errmsg(this.h)}`);
    const outs = [];
    for (let i = 0; i < this.count(1); i++) {
      const info = this.info(1, i), pp = m._malloc(8);
      if (f.outputData(this.h, i, pp, pp + 4) !== 0) throw new PetiteError(`output ${i}: ${f.errmsg(this.h)}`);
      const ptr = m.HEAPU32[pp >> 2], n = m.HEAPU32[(pp + 4) >> 2];
      m._free(pp);
      const T = DTYPES[info.dtype] || Uint8Array;
      outs.push({ dtype: info.dtype, shape: info.shape, data: new T(m.HEAPU8.slice(ptr, ptr + n).buffer) });
    }
    return outs;
  }
  free() { this.p.f.free(this.h); this.h = 0; }
}
