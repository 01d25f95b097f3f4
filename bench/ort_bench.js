// ort_bench.js — time one ONNX model in ONNX Runtime (onnxruntime-node, CPU), the way
// bench/run_bench.py times petite: load, warm up, then R runs; median / min / p90 wall time and
// CPU time per run (process.cpuUsage, all threads). Prints one JSON object.
//
//   node bench/ort_bench.js model.onnx --threads N --warmup W --runs R --input x.bin:float32:1,3,224,224
//                           [--output out.bin]
const fs = require('fs');
const ort = require('onnxruntime-node');

function arg(name, def) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : def;
}

(async () => {
  const model = process.argv[2];
  const threads = parseInt(arg('--threads', '1'));
  const warmup = parseInt(arg('--warmup', '3'));
  const runs = parseInt(arg('--runs', '20'));
  const out = arg('--output', null);
  const inputs = [];
  for (let i = 0; i < process.argv.length; i++)
    if (process.argv[i] === '--input') inputs.push(process.argv[i + 1]);
  const t0 = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential',
  });
  const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const feeds = {};
  inputs.forEach((spec, k) => {
    const [file, dtype, shape] = spec.split(':');
    const buf = fs.readFileSync(file);
    const dims = shape.split(',').map(Number);
    const data = dtype === 'int64'
      ? new BigInt64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length))
      : new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
    feeds[session.inputNames[k]] = new ort.Tensor(dtype, data, dims);
  });
  let result = await session.run(feeds);
  for (let i = 0; i < warmup; i++) result = await session.run(feeds);
  const wall = [], cpu = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const w0 = process.hrtime.bigint();
    result = await session.run(feeds);
    wall.push(Number(process.hrtime.bigint() - w0) / 1e6);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e3);
  }
  wall.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const q = (a, p) => a[Math.min(a.length - 1, Math.max(0, Math.round(p * (a.length - 1))))];
  if (out) {
    const first = result[session.outputNames[0]];
    fs.writeFileSync(out, Buffer.from(first.data.buffer, first.data.byteOffset, first.data.byteLength));
  }
  console.log(JSON.stringify({
    runtime: 'onnxruntime', version: require('onnxruntime-node/package.json').version, threads, load_ms: loadMs,
    runs, median_ms: q(wall, 0.5), min_ms: wall[0], p90_ms: q(wall, 0.9), cpu_median_ms: q(cpu, 0.5),
  }));
})().catch((e) => { console.error(String(e)); process.exit(1); });
