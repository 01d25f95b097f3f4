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
    };
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
