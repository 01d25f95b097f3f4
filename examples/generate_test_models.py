"""The guide's test models, written with petite's in-memory exporter (petite.export.export_model):
the simple demo (Linear(10, 1)) on both backends, and a small image classifier for each target
platform (ios, android, desktop, embedded: each platform's default backends) plus its static int8
XNNPACK file. Every file is validated against eager PyTorch as it is written.

    /usr/bin/python3 examples/generate_test_models.py [OUT_DIR]      (default: ./test_models)
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

from petite.export import export_model  # noqa: E402


def classifier():
    return nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1), nn.BatchNorm2d(16), nn.ReLU6(),
                         nn.Conv2d(16, 16, 3, 1, 1, groups=16), nn.BatchNorm2d(16), nn.ReLU6(),
                         nn.Conv2d(16, 32, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "./test_models"
    torch.manual_seed(0)
    records = []
    records += export_model(nn.Linear(10, 1), torch.randn(1, 10), model_name="simple_demo", output_dir=out,
                            backends=["portable", "xnnpack"], create_summary=True)
    model = classifier().eval()
    x = torch.randn(1, 3, 64, 64)
    for platform in ("ios", "android", "desktop", "embedded"):
        records += export_model(model, x, model_name="classifier", output_dir=out, target_platform=platform,
                                input_mean=[0.485, 0.456, 0.406], input_std=[0.229, 0.224, 0.225])
    records += export_model(model, x, model_name="classifier", output_dir=out, quantize="static",
                            calibration_samples=[[torch.randn(1, 3, 64, 64)] for _ in range(8)])
    bad = [r for r in records if not r["success"]]
    for r in records:
        print("%-48s %s" % (r["file"], "ok" if r["success"] else "FAILED: " + str(r["error_message"])))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
