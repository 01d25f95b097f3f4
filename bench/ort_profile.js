// ort_profile.js — ONNX Runtime's own per-node profile of one model (onnxruntime-node, CPU), to set
// beside `petite bench --per-op`: runs the model R times with profiling on and prints, per node,
// the median kernel time over the runs, largest first, as JSON lines {name, op, ms}.
//
//   node bench/ort_profile.js model.onnx --threads N --runs R --input x.bin:float32:1,3,224,224
const fs = require('fs');
const os = require('os');
const path = require('path');
const ort = require('onnxruntime-node');

function arg(name, def) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : def;
}

(async () => {
  const model = process.argv[2];
  const threads = parseInt(arg('--threads', '1'));
  const runs = parseInt(arg('--runs', '20'));
  const prefix = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ortprof-')), 'p');
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential',
    enableProfiling: true, profileFilePrefix: prefix,
  });
  const feeds = {};
  process.argv.forEach((a, i) => {
    if (a !== '--input') return;
    const [file, dtype, shape] = process.argv[i + 1].split(':');
    const buf = fs.readFileSync(file);
    const bytes = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length);
    const data = dtype === 'int64' ? new BigInt64Array(bytes) : new Float32Array(bytes);
    feeds[session.inputNames[Object.keys(feeds).length]] = new ort.Tensor(dtype, data, shape.split(',').map(Number));
  });
  for (let i = 0; i < 3 + runs; i++) await session.run(feeds);
  const file = session.endProfiling ? session.endProfiling() : null;
  const dir = path.dirname(prefix);
  const json = file && fs.existsSync(file) ? file : path.join(dir, fs.readdirSync(dir)[0]);
  const events = JSON.parse(fs.readFileSync(json, 'utf8'));
  const per = new Map();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
    const name = e.name.slice(0, -'_kernel_time'.length);
    if (!per.has(name)) per.set(name, { name, op: e.args.op_name, us: [] });
    per.get(name).us.push(e.dur);
  }
  const rows = [...per.values()].map((r) => {
    const us = r.us.slice(3).sort((a, b) => a - b); /* drop the warm-up runs */
    return { name: r.name, op: r.op, ms: (us[us.length >> 1] || 0) / 1e3 };
  });
  rows.sort((a, b) => b.ms - a.ms);
  console.log(JSON.stringify({ total_ms: rows.reduce((s, r) => s + r.ms, 0), nodes: rows }));
})();
