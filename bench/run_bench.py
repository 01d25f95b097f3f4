"""petite against ONNX Runtime on the same models, in one run, interleaved.

For each model (random weights, BatchNorm statistics re-estimated so activations are realistic):
export ONNX (torch.onnx, opset 17) and .pte (petite-export, portable and xnnpack) from the same
module; check that petite and ONNX Runtime agree on one input; then time both, alternating
petite / ORT (and which goes first) round after round, with 1 and 2 threads. Each timing is the
median of a process's steady-state runs; the table reports the median over rounds of wall time and
of CPU time per inference, the ratio petite / ORT, and petite's % of the FMA peak.

    /usr/bin/python3 bench/run_bench.py [--models mobilenet_v2,...] [--threads 1,2] [--rounds 5]
                                        [--runs 20] [--out build/bench] [--backends xnnpack,portable]

Needs: build/petite, build/bench/bench_compute (cmake --build build), onnxruntime-node in
bench/node_modules (cd bench && npm install --ignore-scripts), node, Debian's python3-torch.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torchvision  # noqa: E402

from zoo import models as zoo_models  # noqa: E402


class BertLike(nn.Module):
    """A BERT-like encoder: token + position embeddings, 4 post-norm encoder layers (hidden 256,
    4 heads, FFN 1024, GELU), the [CLS] position through a tanh pooler and a 2-way head."""

    def __init__(self, vocab=30522, dim=256, layers=4, heads=4, ffn=1024, seq=128):
        super().__init__()
        self.tok = nn.Embedding(vocab, dim)
        self.pos = nn.Embedding(seq, dim)
        self.norm = nn.LayerNorm(dim)
        layer = nn.TransformerEncoderLayer(dim, heads, dim_feedforward=ffn, dropout=0.0, activation="gelu",
                                           batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.pool = nn.Linear(dim, dim)
        self.head = nn.Linear(dim, 2)
        self.register_buffer("positions", torch.arange(seq).unsqueeze(0), persistent=False)

    def forward(self, ids):  # [1, 128] int64
        x = self.norm(self.tok(ids) + self.pos(self.positions[:, :ids.shape[1]]))
        x = self.encoder(x)
        return self.head(torch.tanh(self.pool(x[:, 0])))


def build(name):
    """(module, input shape, input dtype)"""
    tv = torchvision.models
    torch.manual_seed(0)
    img = (1, 3, 224, 224)
    if name == "bert_like":
        return BertLike().eval(), (1, 128), torch.int64
    if name == "ssdlite320":
        return zoo_models.reestimate_bn(zoo_models.SSDLiteHeads(), (1, 3, 320, 320)), (1, 3, 320, 320), torch.float32
    m = getattr(tv, name)()
    return zoo_models.reestimate_bn(m, img), img, torch.float32


MODELS = ["mobilenet_v2", "mobilenet_v3_small", "resnet18", "efficientnet_b0", "bert_like", "ssdlite320"]


def sh(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode:
        raise RuntimeError("%s failed:\n%s%s" % (" ".join(cmd), r.stdout[-2000:], r.stderr[-2000:]))
    return r.stdout


def export(name, out):
    """Writes NAME.onnx, NAME_portable.pte, NAME_xnnpack.pte, NAME_input.{npy,bin}; returns the
    input spec for ORT."""
    from petite.export import cli
    model, shape, dtype = build(name)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(*shape, generator=g) if dtype == torch.float32 else torch.randint(0, 1000, shape, generator=g)
    np.save(os.path.join(out, name + "_input.npy"), x.numpy())
    x.numpy().tofile(os.path.join(out, name + "_input.bin"))
    onnx = os.path.join(out, name + ".onnx")
    if not os.path.exists(onnx):
        # with grad enabled: under no_grad torch 1.13's encoder layers take a fused fast path
        # (_transformer_encoder_layer_fwd) that has no ONNX export
        torch.onnx.export(model, (x,), onnx, opset_version=17, input_names=["x"], do_constant_folding=True)
    if not all(os.path.exists(os.path.join(out, "%s_%s.pte" % (name, b))) for b in ("portable", "xnnpack")):
        pt = os.path.join(out, name + ".pt")
        torch.save(model, pt)
        rc = cli.main([pt, "--model-name", name, "--input-shapes", ",".join(map(str, shape)), "--input-dtypes",
                       "int64" if dtype == torch.int64 else "float32", "--output-dir", out,
                       "--backends", "portable", "xnnpack"])
        if rc:
            raise RuntimeError("petite-export failed for %s" % name)
    with torch.no_grad():
        ref = model(x)
    ref = ref[0] if isinstance(ref, (tuple, list)) else ref
    return "%s:%s:%s" % (os.path.join(out, name + "_input.bin"), "int64" if dtype == torch.int64 else "float32",
                         ",".join(map(str, shape))), ref.numpy()


def petite_bench(pte, threads, runs, warmup, inp, per_op=False):
    cmd = [os.path.join(ROOT, "build", "petite"), "bench", pte, "--threads", str(threads), "--runs", str(runs),
           "--warmup", str(warmup), "--json", "--input", inp]
    if per_op:
        cmd.insert(3, "--per-op")
    return json.loads(sh(cmd))


def ort_bench(onnx, threads, runs, warmup, inp, output=None):
    cmd = ["node", os.path.join(ROOT, "bench", "ort_bench.js"), onnx, "--threads", str(threads), "--runs", str(runs),
           "--warmup", str(warmup), "--input", inp]
    if output:
        cmd += ["--output", output]
    return json.loads(sh(cmd))


def agreement(name, out, spec, ref):
    """max |petite - ORT| / max |ORT| and / max |eager| on the same input, both backends."""
    ort_out = os.path.join(out, name + "_ort_out.bin")
    ort_bench(os.path.join(out, name + ".onnx"), 1, 1, 0, spec, ort_out)
    ort = np.fromfile(ort_out, np.float32)
    res = {}
    for b in ("portable", "xnnpack"):
        d = os.path.join(out, "%s_%s_out" % (name, b))
        os.makedirs(d, exist_ok=True)
        sh([os.path.join(ROOT, "build", "petite"), "run", os.path.join(out, "%s_%s.pte" % (name, b)), "--input",
            os.path.join(out, name + "_input.npy"), "--output-dir", d])
        got = np.load(os.path.join(d, "output_0.npy")).reshape(-1)
        res[b] = {"vs_ort": float(np.abs(got - ort).max() / max(1e-30, np.abs(ort).max())),
                  "vs_eager": float(np.abs(got - ref.reshape(-1)).max() / max(1e-30, np.abs(ref).max()))}
    res["ort_vs_eager"] = float(np.abs(ort - ref.reshape(-1)).max() / max(1e-30, np.abs(ref).max()))
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--backends", default="xnnpack,portable")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench"))
    ap.add_argument("--json", default=None, help="write every measurement here")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    names, threads = args.models.split(","), [int(t) for t in args.threads.split(",")]
    backends = args.backends.split(",")
    peak_line = sh([os.path.join(ROOT, "build", "bench", "bench_compute"), "peak"])
    isa, peak = peak_line.split()[1], float(peak_line.split()[2])
    print("machine: %s; petite ISA %s; fp32 FMA peak %.1f GFLOP/s per core (bench_compute peak); %s" % (
        open("/proc/cpuinfo").read().split("model name")[1].split(":")[1].split("\n")[0].strip(), isa, peak,
        time.strftime("%Y-%m-%d %H:%M")), flush=True)
    report = {"isa": isa, "peak_gflops_per_core": peak, "models": {}}
    for name in names:
        spec, ref = export(name, args.out)
        agree = agreement(name, args.out, spec, ref)
        gflop = petite_bench(os.path.join(args.out, name + "_xnnpack.pte"), 1, 1, 0,
                             os.path.join(args.out, name + "_input.npy"), per_op=True)["gflop"]
        rec = {"agreement": agree, "gflop": gflop, "timings": {}}
        for t in threads:
            series = {b: [] for b in backends + ["ort"]}
            cpu = {b: [] for b in backends + ["ort"]}
            for r in range(args.rounds):
                order = backends + ["ort"] if r % 2 == 0 else ["ort"] + backends
                for who in order:
                    if who == "ort":
                        m = ort_bench(os.path.join(args.out, name + ".onnx"), t, args.runs, args.warmup, spec)
                    else:
                        m = petite_bench(os.path.join(args.out, "%s_%s.pte" % (name, who)), t, args.runs, args.warmup,
                                         os.path.join(args.out, name + "_input.npy"))
                    series[who].append(m["median_ms"])
                    cpu[who].append(m["cpu_median_ms"])
            med = {w: statistics.median(v) for w, v in series.items()}
            medc = {w: statistics.median(v) for w, v in cpu.items()}
            rec["timings"][t] = {"wall_ms": med, "cpu_ms": medc, "rounds": series}
            for b in backends:
                print("%-20s %-8s threads %d: petite %8.2f ms (cpu %8.2f)  ORT %8.2f ms (cpu %8.2f)  ratio %5.2f  "
                      "%5.1f%% of peak" % (name, b, t, med[b], medc[b], med["ort"], medc["ort"], med[b] / med["ort"],
                                          100.0 * gflop / (med[b] * 1e-3) / (peak * t)), flush=True)
        print("%-20s agreement: petite xnnpack vs ORT %.2g, portable vs ORT %.2g, ORT vs eager %.2g (max abs / max |y|)"
              % (name, agree["xnnpack"]["vs_ort"], agree["portable"]["vs_ort"], agree["ort_vs_eager"]), flush=True)
        report["models"][name] = rec
    print("\n| model | threads | " + " | ".join("petite %s ms" % b for b in backends) + " | ORT ms | " +
          " | ".join("ratio %s" % b for b in backends) + " | % peak (xnnpack) |")
    print("|---|---|" + "---|" * (2 * len(backends) + 2))
    geo = {(b, t): [] for b in backends for t in threads}
    best = {(b, t): [] for b in backends for t in threads}  # best round of each runtime: bursts of load from
    for name, rec in report["models"].items():               # other tenants tend to hit one round of one side
        for t in threads:
            tm = rec["timings"][t]["wall_ms"]
            ratios = [tm[b] / tm["ort"] for b in backends]
            for b, r in zip(backends, ratios):
                geo[(b, t)].append(r)
                rounds = rec["timings"][t]["rounds"]
                best[(b, t)].append(min(rounds[b]) / min(rounds["ort"]))
            pk = 100.0 * rec["gflop"] / (tm[backends[0]] * 1e-3) / (peak * t)
            print("| %s | %d | %s | %.2f | %s | %.0f%% |" % (name, t, " | ".join("%.2f" % tm[b] for b in backends), tm["ort"],
                                                             " | ".join("%.2fx" % r for r in ratios), pk))
    for (b, t), rs in geo.items():
        print("geometric mean ratio %s, %d thread%s: %.2fx (by best rounds: %.2fx)" % (
            b, t, "s" if t > 1 else "", float(np.exp(np.mean(np.log(rs)))), float(np.exp(np.mean(np.log(best[(b, t)]))))))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
