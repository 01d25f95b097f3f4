"""The torchvision sweep: every classification model up to 40 M parameters and the mobile segmentation
models (random weights, 1 x 3 x 224 x 224), exported through both backends with petite.export.export_model
(each file validated against eager PyTorch), and a Markdown table of what exports.

    /usr/bin/python3 tools/torchvision_sweep.py [--out DIR] [--only a,b] [--table docs/TORCHVISION_SWEEP.md]

Not a CI test (it takes tens of minutes on 2 cores); run it and commit the table it writes."""
import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))

import torch  # noqa: E402
import torchvision  # noqa: E402

from petite.export import export_model  # noqa: E402

SEGMENTATION = ["lraspp_mobilenet_v3_large", "deeplabv3_mobilenet_v3_large"]
MAX_PARAMS = 40_000_000


def classification_models():
    names = torchvision.models.list_models(module=torchvision.models) if hasattr(torchvision.models, "list_models") \
        else [n for n in dir(torchvision.models) if n.islower() and not n.startswith("_") and
              callable(getattr(torchvision.models, n))]
    return sorted(names)


def build(name):
    if name in SEGMENTATION:
        return getattr(torchvision.models.segmentation, name)(weights=None, weights_backbone=None)
    return torchvision.models.get_model(name, weights=None) if hasattr(torchvision.models, "get_model") \
        else getattr(torchvision.models, name)(weights=None)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "sweep"))
    ap.add_argument("--only", default=None)
    ap.add_argument("--table", default=os.path.join(ROOT, "docs", "TORCHVISION_SWEEP.md"))
    args = ap.parse_args()
    names = args.only.split(",") if args.only else classification_models() + SEGMENTATION
    rows = []
    for name in names:
        t0 = time.time()
        try:
            m = build(name).eval()
        except Exception as e:
            rows.append((name, "-", "could not build: %s" % str(e)[:80], "", 0))
            continue
        params = sum(p.numel() for p in m.parameters())
        if params > MAX_PARAMS:
            continue
        torch.manual_seed(0)
        # torchvision zero-initializes some heads (ViT): every output would be 0 and a comparison with
        # eager would prove nothing, so such layers get small random weights first (noted in the table)
        zeroed = [mod for mod in m.modules() if isinstance(mod, torch.nn.Linear) and not mod.weight.detach().abs().sum()]
        with torch.no_grad():
            for mod in zeroed:
                mod.weight.normal_(0, 0.02)
        size = 299 if name.startswith("inception") else 224
        try:
            recs = export_model(m, torch.randn(1, 3, size, size), model_name=name, output_dir=args.out,
                                backends=["portable", "xnnpack"])
            status = {r["backend"]: r for r in recs}
        except Exception as e:
            status = {"portable": {"success": False, "error": str(e)}, "xnnpack": {"success": False, "error": str(e)}}
        res = []
        for b in ("portable", "xnnpack"):
            r = status.get(b, {})
            v = r.get("validation") or {}
            res.append(("validated" + (" (zero head re-initialized)" if zeroed else "")
                        if not v.get("degenerate") else "DEGENERATE (constant outputs)") if r.get("success")
                       else "FAILED: %s" % (r.get("error") or "?")[:120].replace("|", "/"))
        rows.append((name, "%.1f M" % (params / 1e6), res[0], res[1], time.time() - t0))
        print("%-34s %-9s %s | %s (%.0f s)" % rows[-1], flush=True)
        for f in os.listdir(args.out):  # keep the disk small: the table is the result
            if f.startswith(name + "_") and f.endswith(".pte"):
                os.unlink(os.path.join(args.out, f))
    ok = sum(1 for r in rows if r[2].startswith("validated") and r[3].startswith("validated"))
    with open(args.table, "w") as f:
        f.write("# torchvision through petite-export\n\n")
        f.write("`/usr/bin/python3 tools/torchvision_sweep.py` (random weights, batch 1, both backends, each file "
                "validated against eager PyTorch). %d of %d models export and validate on both backends.\n\n"
                % (ok, len(rows)))
        f.write("| model | parameters | portable | xnnpack | seconds |\n|---|---|---|---|---|\n")
        for r in rows:
            f.write("| %s | %s | %s | %s | %.0f |\n" % r)
    print("%d of %d models export and validate on both backends; table: %s" % (ok, len(rows), args.table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
