"""A small sweep of real architectures, shrunk to seconds: torchvision's ConvNeXt, Swin and ViT
builders with small widths, a GPT-2-style decoder block (bias-free Linear layers, causal attention)
and an encoder block, each exported through both backends with petite.export.export_model and
validated against eager PyTorch (max abs error <= 1e-4 x output scale, as the exporter judges), on
inputs that vary the output (a zero-initialized head is re-initialized: a constant output proves
nothing). The validation runs petite in a child process, so a crash in the runtime fails the case
by name instead of killing the sweep.

    /usr/bin/python3 tests/python/test_architectures.py [-k FILTER] [--out DIR]

--out keeps the files (scripts/test.sh runs them through the ASan + UBSan build of the CLI).
"""
import math
import os
import sys
import tempfile
from functools import partial

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import torchvision  # noqa: E402
from torchvision.models.convnext import CNBlockConfig, ConvNeXt  # noqa: E402
from torchvision.models.swin_transformer import SwinTransformer  # noqa: E402
from torchvision.models.vision_transformer import VisionTransformer  # noqa: E402

from petite.export import export_model  # noqa: E402


class DecoderBlock(nn.Module):
    """GPT-2's block: pre-norm causal self-attention and MLP; projections without bias (as many
    decoders write them), a tied-style bias-free LM head."""

    def __init__(self, d=32, heads=4, vocab=50):
        super().__init__()
        self.h = heads
        self.emb = nn.Embedding(vocab, d)
        self.ln1, self.ln2, self.lnf = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d, bias=False)
        self.proj = nn.Linear(d, d, bias=False)
        self.fc, self.out = nn.Linear(d, 4 * d, bias=False), nn.Linear(4 * d, d, bias=False)
        self.head = nn.Linear(d, vocab, bias=False)

    def forward(self, ids):
        x = self.emb(ids)
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=-1)
        q, k, v = [z.view(b, t, self.h, d // self.h).transpose(1, 2) for z in (q, k, v)]
        att = (q @ k.transpose(-2, -1)) / math.sqrt(d // self.h)
        mask = torch.ones(t, t).tril() == 0
        att = att.masked_fill(mask, float("-inf")).softmax(-1)
        x = x + self.proj((att @ v).transpose(1, 2).reshape(b, t, d))
        x = x + self.out(F.gelu(self.fc(self.ln2(x))))
        return self.head(self.lnf(x))


def vary_head(m):
    """torchvision zero-initializes some heads: give them weights so outputs depend on the input"""
    g = torch.Generator().manual_seed(1)
    for mod in m.modules():
        if isinstance(mod, nn.Linear) and not mod.weight.detach().abs().sum():
            with torch.no_grad():
                mod.weight.copy_(torch.randn(mod.weight.shape, generator=g) * 0.05)
    return m


def cases():
    torch.manual_seed(0)
    c = []
    c.append(("convnext", ConvNeXt([CNBlockConfig(16, 32, 1), CNBlockConfig(32, None, 1)], num_classes=10),
              [torch.randn(1, 3, 32, 32)]))
    c.append(("swin", SwinTransformer(patch_size=[4, 4], embed_dim=16, depths=[1, 1], num_heads=[2, 2],
                                      window_size=[4, 4], num_classes=10), [torch.randn(1, 3, 32, 32)]))
    c.append(("vit", VisionTransformer(image_size=32, patch_size=8, num_layers=1, num_heads=2, hidden_dim=16,
                                       mlp_dim=32, num_classes=10), [torch.randn(1, 3, 32, 32)]))
    c.append(("gpt2_block", DecoderBlock(), [torch.randint(0, 50, (1, 12))]))
    c.append(("encoder_block", nn.TransformerEncoderLayer(32, 4, 64, dropout=0.0, batch_first=True),
              [torch.randn(2, 7, 32)]))
    return [(n, vary_head(m.eval()), x) for n, m, x in c]


def main():
    filt = sys.argv[sys.argv.index("-k") + 1] if "-k" in sys.argv else None
    keep = sys.argv[sys.argv.index("--out") + 1] if "--out" in sys.argv else None
    passed = failed = 0
    if keep:
        os.makedirs(keep, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        d = keep or tmp
        for name, model, xs in cases():
            if filt and filt not in name:
                continue
            for backend in ("portable", "xnnpack"):
                try:
                    recs = export_model(model, xs, model_name=name, backends=[backend], output_dir=d)
                    r = recs[0]
                    v = r.get("validation") or {}
                    assert r.get("success"), "export failed: %s" % r.get("error")
                    assert v.get("passed"), "validation failed: %s" % v
                    assert not v.get("degenerate"), "eager's outputs are constant: the comparison proves nothing"
                    if backend == "xnnpack":
                        assert r.get("xnnpack_subgraphs", 0) > 0, "nothing delegated to XNNPACK"
                    left = [f for f in os.listdir(d) if f.startswith(".petite-export-")]
                    assert not left, "temporary files left behind: %s" % left
                    passed += 1
                    print("ok   %-14s %-8s max abs error %.3g (scale %.3g)%s" % (
                        name, backend, v["max_abs_error"], v["output_scale"],
                        ", %d instructions in %d XNNPACK subgraphs" % (r["delegated_instructions"], r["xnnpack_subgraphs"])
                        if backend == "xnnpack" else ""))
                except Exception as e:  # noqa: BLE001 - every failure is reported by case
                    failed += 1
                    print("FAIL %s [%s]: %s: %s" % (name, backend, type(e).__name__, str(e).splitlines()[0] if str(e) else ""))
        # torchvision's ViT as built (a zero head): every output is 0, so validation must say it proves nothing
        if not filt or filt in "vit_zero_head":
            torch.manual_seed(0)
            vit = VisionTransformer(image_size=32, patch_size=8, num_layers=1, num_heads=2, hidden_dim=16, mlp_dim=32,
                                    num_classes=10).eval()
            try:
                v = export_model(vit, [torch.randn(1, 3, 32, 32)], model_name="vit_zero_head", backends=["portable"],
                                 output_dir=d)[0].get("validation") or {}
                assert v.get("degenerate") is True, "constant outputs not flagged: %s" % v
                pr = v.get("probe") or {}
                assert "heads.head.weight" in pr.get("reinitialized", []), "zero head not re-initialized: %s" % pr
                assert pr.get("passed") is True and not pr.get("degenerate") and pr.get("output_scale", 0) > 0, \
                    "the copy with a random head was not validated: %s" % pr
                passed += 1
                print("ok   vit_zero_head  portable validation flagged as degenerate; the copy with %s re-initialized "
                      "validated (max abs error %.3g, scale %.3g)" % (", ".join(pr["reinitialized"]),
                                                                     pr["max_abs_error"], pr["output_scale"]))
            except Exception as e:  # noqa: BLE001 - reported by case
                failed += 1
                print("FAIL vit_zero_head: %s: %s" % (type(e).__name__, e))
            # the copy's verdict counts: petite's outputs for it made wrong must fail the export
            from petite.export import validate as va
            real = va.run_isolated

            def spoiled(path, steps):
                outs = real(path, steps)
                probe = os.path.dirname(os.path.abspath(path)) != os.path.abspath(d)  # the copy's file, elsewhere
                return [[o + 1e-2 for o in out] for out in outs] if probe else outs
            va.run_isolated = spoiled
            try:
                r = export_model(vit, [torch.randn(1, 3, 32, 32)], model_name="vit_zero_head", backends=["portable"],
                                 output_dir=d)[0]
                assert not r.get("success") and "re-initialized" in (r.get("error") or ""), \
                    "a wrong result on the copy was not a failure: %s" % r
                passed += 1
                print("ok   vit_zero_head  a wrong result on the copy fails the export: %s" % r["error"])
            except Exception as e:  # noqa: BLE001 - reported by case
                failed += 1
                print("FAIL vit_zero_head (spoiled copy): %s: %s" % (type(e).__name__, e))
            finally:
                va.run_isolated = real
    print("architectures: %d passed, %d failed" % (passed, failed))
    if not passed + failed:
        print("FAIL: no case matches -k %r" % filt)
    return 1 if failed or not passed + failed else 0


if __name__ == "__main__":
    sys.exit(main())
