"""Bounded dynamic sizes (petite-export --input-shapes LO..HI): a dynamic-batch CNN, a dynamic-length
text model and a transformer encoder layer export through both backends, validate and run at several
sizes in one method instance; through XNNPACK as much is delegated as for a static shape, in the
official writer's layout for dynamic graphs (every value's dims the upper bound, a reshape's dynamic
dim written 0); what cannot be dynamic is refused with the reason (a graph that changes with the size,
a number folded from it, --quantize); sizes past the bound are refused at run time."""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "python"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from petite import runtime  # noqa: E402
from petite.export import export_model  # noqa: E402
from petite.export.cli import ExportError, parse_shapes  # noqa: E402
from test_xnn_fields import Table, xnn_blobs, xnodes  # noqa: E402

passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL", what)


class CNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(8)
        self.fc = torch.nn.Linear(8 * 4 * 4, 10)

    def forward(self, x):
        x = torch.nn.functional.max_pool2d(torch.relu(self.bn(self.c1(x))), 2)
        return torch.softmax(self.fc(x.flatten(1)), -1)


class Text(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(100, 16)
        self.pos = torch.nn.Embedding(64, 16)
        self.lin = torch.nn.Linear(16, 16)
        self.out = torch.nn.Linear(16, 3)

    def forward(self, ids):
        h = torch.tanh(self.lin(self.emb(ids) + self.pos(torch.arange(ids.shape[1]))))
        return self.out(h.mean(1)), h.reshape(ids.shape[0] * ids.shape[1], 16)


class Branches(torch.nn.Module):
    def forward(self, x):
        return x * 2 if x.shape[0] > 4 else x - 1


class FloatOfSize(torch.nn.Module):
    def forward(self, x):
        return x * (1.0 / x.shape[1])


def run_at(path, xs):
    m = runtime.Program(path).load_method("forward")
    return [m.run(x) for x in xs]


def main():
    # the shape syntax
    check(parse_shapes(["1..8,3,8,8", "2"])[1:] == ([(0, 0)], (1, 8)), "LO..HI parsed")
    for bad, msg in (("8..1,3", "LO < HI"), ("0..4,3", "LO < HI"), ("1..4,1..5", "one dynamic size"), ("1,,3", "integers")):
        try:
            parse_shapes([bad])
            check(False, "%s refused" % bad)
        except ExportError as e:
            check(msg in str(e), "%s: %s" % (bad, e))

    out = tempfile.mkdtemp(prefix="petite-dynamic-")
    torch.manual_seed(0)
    cnn = CNN().eval()
    for backend in ("portable", "xnnpack"):
        recs = export_model(cnn, torch.randn(8, 3, 8, 8), model_name="dyncnn", output_dir=out, backends=[backend],
                            dynamic_dims=[(0, 0, 1, 8)])
        check(recs[0]["success"] and recs[0]["validation"]["passed"], "dynamic batch CNN [%s]: %s" % (backend, recs[0].get("error")))
        if not recs[0]["success"]:
            continue
        side = json.load(open(os.path.join(out, "dyncnn_%s.json" % backend)))
        check(side["inputs"][0].get("dynamic") == [{"dim": 0, "min": 1, "max": 8}], "sidecar: %s" % side["inputs"][0])
        if backend == "xnnpack":  # the whole model in one subgraph, the size computation dropped with the view
            check(side["xnnpack_subgraphs"] == 1 and side["op_count"] == 1, "CNN fully delegated: %d subgraphs, %d "
                  "instructions" % (side["xnnpack_subgraphs"], side["op_count"]))
        path = os.path.join(out, "dyncnn_%s.pte" % backend)
        xs = [np.random.default_rng(b).standard_normal((b, 3, 8, 8)).astype(np.float32) for b in (3, 8, 1, 5)]
        got = run_at(path, xs)
        with torch.no_grad():
            want = [cnn(torch.from_numpy(x)).numpy() for x in xs]
        check(all(g[0].shape == w.shape and np.abs(g[0] - w).max() < 1e-5 for g, w in zip(got, want)),
              "[%s] batch 3, 8, 1, 5 in one method match eager: %s" % (backend, [g[0].shape for g in got]))
        try:
            run_at(path, [np.zeros((9, 3, 8, 8), np.float32)])
            check(False, "[%s] batch 9 is past the bound" % backend)
        except runtime.PetiteError as e:
            check("input 0" in str(e), "[%s] batch 9: %s" % (backend, e))
        if backend == "xnnpack":  # the official writer's layout for a dynamic graph
            g = xnn_blobs(open(path, "rb").read())[0]
            root = Table(g, int.from_bytes(g[0:4], "little"))
            ext_in = []
            for xv in root.tables(2):
                tv = xv.table(1) if xv.scalar(0, "B") == 1 else xv.table(1).table(0)
                if tv.scalar(5, "I") == 1:
                    p_, n_ = tv._vec(2)
                    ext_in.append([int.from_bytes(g[p_ + 4 * i:p_ + 4 * i + 4], "little") for i in range(n_)])
            check(ext_in == [[8, 3, 8, 8]], "external input dims are the upper bound: %s" % ext_in)
            shapes = []
            for n in root.tables(1):
                if n.scalar(0, "B") == 20:  # StaticReshape
                    p_, n_ = n.table(1)._vec(1)
                    shapes.append([int.from_bytes(g[p_ + 4 * i:p_ + 4 * i + 4], "little") for i in range(n_)])
            check(shapes == [[0, 128]], "the flatten's new shape writes the dynamic dim as 0: %s" % shapes)
            check([k for k, _, _ in xnodes(g)].count("StaticReshape") == 1, "one reshape")

    text = Text().eval()
    for backend in ("portable", "xnnpack"):
        recs = export_model(text, torch.randint(0, 100, (2, 32)), model_name="dyntext", output_dir=out,
                            backends=[backend], dynamic_dims=[(0, 1, 1, 32)])
        check(recs[0]["success"] and recs[0]["validation"]["passed"], "dynamic length text model [%s]: %s"
              % (backend, recs[0].get("error")))
        if not recs[0]["success"]:
            continue
        if backend == "xnnpack":
            check(recs[0]["delegated_instructions"] >= 5, "text model: the linear layers, tanh and the [2*n, 16] view "
                  "delegated (%d)" % recs[0]["delegated_instructions"])
        ids = [np.random.default_rng(n).integers(0, 100, (2, n)).astype(np.int64) for n in (7, 32, 1, 20)]
        got = run_at(os.path.join(out, "dyntext_%s.pte" % backend), ids)
        ok = True
        for g, x in zip(got, ids):
            with torch.no_grad():
                w = text(torch.from_numpy(x))
            ok = ok and all(a.shape == b.shape and np.abs(a - b.numpy()).max() < 1e-5 for a, b in zip(g, w))
        check(ok, "[%s] lengths 7, 32, 1, 20 match eager (both outputs, the second [2*n, 16])" % backend)
        raw = open(os.path.join(out, "dyntext_%s.pte" % backend), "rb").read()
        check(b"aten::sym_size" in raw and (backend == "xnnpack" or b"executorch_prim::mul" in raw),
              "[%s] sizes computed at run time as the official exporter does (sym_size, executorch_prim)" % backend)

    # a transformer encoder layer, sequence length 1..16 (traced at 16, 15, 2: PyTorch specializes length 1),
    # through XNNPACK: the same instructions delegated as for a static length
    enc = torch.nn.TransformerEncoderLayer(32, 4, 64, batch_first=True, dropout=0.0).eval()
    st = export_model(enc, torch.randn(1, 16, 32), model_name="enc_static", output_dir=out, backends=["xnnpack"])[0]
    dy = export_model(enc, torch.randn(1, 16, 32), model_name="enc_dyn", output_dir=out, backends=["xnnpack"],
                      dynamic_dims=[(0, 1, 1, 16)])[0]
    check(st["success"] and dy["success"] and dy["validation"]["passed"], "encoder 1..16: %s" % dy.get("error"))
    if st["success"] and dy["success"]:
        check(dy["delegated_instructions"] == st["delegated_instructions"] and
              dy["xnnpack_subgraphs"] == st["xnnpack_subgraphs"] and dy["op_count"] == st["op_count"],
              "encoder: dynamic delegates as static does (%d / %d instructions in %d / %d subgraphs)"
              % (dy["delegated_instructions"], st["delegated_instructions"], dy["xnnpack_subgraphs"], st["xnnpack_subgraphs"]))
        xs = [np.random.default_rng(n).standard_normal((1, n, 32)).astype(np.float32) for n in (16, 1, 9, 3, 16)]
        got = run_at(os.path.join(out, "enc_dyn_xnnpack.pte"), xs)
        with torch.no_grad():
            want = [enc(torch.from_numpy(x)).numpy() for x in xs]
        check(all(g[0].shape == w.shape and np.abs(g[0] - w).max() < 1e-4 for g, w in zip(got, want)),
              "encoder lengths 16, 1, 9, 3, 16 in one method match eager: %s" % [g[0].shape for g in got])

    # refused, with the reason
    for model, x, dd, backends, q, msg in (
            (Branches(), torch.randn(8, 3), [(0, 0, 1, 8)], ["portable"], None, "changes with the dynamic size"),
            (FloatOfSize(), torch.randn(2, 16), [(0, 1, 2, 16)], ["portable"], None, "number that changes with the size"),
            (cnn, torch.randn(8, 3, 8, 8), [(0, 0, 1, 8)], ["xnnpack"], "static", "--quantize static with a dynamic size")):
        recs = export_model(model, x, model_name="refused", output_dir=out, backends=backends, dynamic_dims=dd,
                            quantize=q)
        check(not recs[0]["success"] and msg in (recs[0].get("error") or ""), "%s: %s" % (msg, recs[0].get("error")))

    # the CLI form, on a traced TorchScript file
    pt = os.path.join(out, "cnn.pt")
    torch.jit.trace(cnn, torch.randn(2, 3, 8, 8)).save(pt)  # a file any process can load (no class to import)
    r = subprocess.run([os.path.join(ROOT, "tools", "petite-export"), pt, "--model-name", "clicnn", "--input-shapes",
                        "1..4,3,8,8", "--backends", "portable", "xnnpack", "--output-dir", out], capture_output=True, text=True,
                       env=dict(os.environ, PYTHONPATH=HERE))
    check(r.returncode == 0, "petite-export --input-shapes 1..4,3,8,8: %s" % (r.stdout + r.stderr)[-500:])
    print("dynamic: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
