"""Bounded dynamic sizes (petite-export --input-shapes LO..HI): a dynamic-batch CNN and a
dynamic-length text model export, validate and run at several sizes in one method instance; what
cannot be dynamic is refused with the reason (a graph that changes with the size, a number folded
from it, the XNNPACK backend); sizes past the bound are refused at run time."""
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
    recs = export_model(cnn, torch.randn(8, 3, 8, 8), model_name="dyncnn", output_dir=out, backends=["portable"],
                        dynamic_dims=[(0, 0, 1, 8)])
    check(recs[0]["success"] and recs[0]["validation"]["passed"], "dynamic batch CNN: %s" % recs[0].get("error"))
    side = json.load(open(os.path.join(out, "dyncnn_portable.json")))
    check(side["inputs"][0].get("dynamic") == [{"dim": 0, "min": 1, "max": 8}], "sidecar: %s" % side["inputs"][0])
    path = os.path.join(out, "dyncnn_portable.pte")
    xs = [np.random.default_rng(b).standard_normal((b, 3, 8, 8)).astype(np.float32) for b in (3, 8, 1, 5)]
    got = run_at(path, xs)
    with torch.no_grad():
        want = [cnn(torch.from_numpy(x)).numpy() for x in xs]
    check(all(g[0].shape == w.shape and np.abs(g[0] - w).max() < 1e-5 for g, w in zip(got, want)),
          "batch 3, 8, 1, 5 in one method match eager: %s" % [g[0].shape for g in got])
    try:
        run_at(path, [np.zeros((9, 3, 8, 8), np.float32)])
        check(False, "batch 9 is past the bound")
    except runtime.PetiteError as e:
        check("input 0" in str(e), "batch 9: %s" % e)

    text = Text().eval()
    recs = export_model(text, torch.randint(0, 100, (2, 32)), model_name="dyntext", output_dir=out, backends=["portable"],
                        dynamic_dims=[(0, 1, 1, 32)])
    check(recs[0]["success"] and recs[0]["validation"]["passed"], "dynamic length text model: %s" % recs[0].get("error"))
    if recs[0]["success"]:
        ids = [np.random.default_rng(n).integers(0, 100, (2, n)).astype(np.int64) for n in (7, 32, 1, 20)]
        got = run_at(os.path.join(out, "dyntext_portable.pte"), ids)
        ok = True
        for g, x in zip(got, ids):
            with torch.no_grad():
                w = text(torch.from_numpy(x))
            ok = ok and all(a.shape == b.shape and np.abs(a - b.numpy()).max() < 1e-5 for a, b in zip(g, w))
        check(ok, "lengths 7, 32, 1, 20 match eager (both outputs, the second [2*n, 16])")
        raw = open(os.path.join(out, "dyntext_portable.pte"), "rb").read()
        check(b"aten::sym_size" in raw and b"executorch_prim::mul" in raw, "sizes computed at run time as the official "
              "exporter does (sym_size, executorch_prim)")

    # refused, with the reason
    for model, x, dd, backends, msg in (
            (Branches(), torch.randn(8, 3), [(0, 0, 1, 8)], ["portable"], "changes with the dynamic size"),
            (FloatOfSize(), torch.randn(2, 16), [(0, 1, 2, 16)], ["portable"], "number that changes with the size"),
            (cnn, torch.randn(8, 3, 8, 8), [(0, 0, 1, 8)], ["xnnpack"], "portable backend only")):
        recs = export_model(model, x, model_name="refused", output_dir=out, backends=backends, dynamic_dims=dd)
        check(not recs[0]["success"] and msg in (recs[0].get("error") or ""), "%s: %s" % (msg, recs[0].get("error")))

    # the CLI form, on a traced TorchScript file
    pt = os.path.join(out, "cnn.pt")
    torch.jit.trace(cnn, torch.randn(2, 3, 8, 8)).save(pt)  # a file any process can load (no class to import)
    r = subprocess.run([os.path.join(ROOT, "tools", "petite-export"), pt, "--model-name", "clicnn", "--input-shapes",
                        "1..4,3,8,8", "--backends", "portable", "--output-dir", out], capture_output=True, text=True,
                       env=dict(os.environ, PYTHONPATH=HERE))
    check(r.returncode == 0, "petite-export --input-shapes 1..4,3,8,8: %s" % (r.stdout + r.stderr)[-500:])
    print("dynamic: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
