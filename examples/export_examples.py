"""Export examples in the spirit of the seed guide's export_examples.py: a few torchvision
models and a custom module, each through petite-export's command line, for every platform name
the Flutter loader looks for.

    /usr/bin/python3 examples/export_examples.py [OUT_DIR]

Each export writes NAME[_PLATFORM]_portable.pte plus a sidecar JSON, and an
export_summary.json per model (backends that need vendor toolchains are recorded as failed)."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "python")]

import torch  # noqa: E402
import torchvision  # noqa: E402

from petite.export import cli  # noqa: E402
from zoo import models  # noqa: E402

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "exported_models")
work = os.path.join(out, "sources")
os.makedirs(work, exist_ok=True)
torch.manual_seed(0)

# 1. a torchvision classifier saved whole, for Android and iOS file names
torch.save(torchvision.models.mobilenet_v3_small().eval(), os.path.join(work, "mobilenet_v3_small.pt"))
for platform in ("android", "ios"):
    cli.main([os.path.join(work, "mobilenet_v3_small.pt"), "--model-name", "mobilenet_v3_small",
              "--input-shapes", "1,3,224,224", "--target-platform", platform, "--output-dir", out])

# 2. a state dict plus its torchvision architecture
torch.save(torchvision.models.resnet18().state_dict(), os.path.join(work, "resnet18.pth"))
cli.main([os.path.join(work, "resnet18.pth"), "--arch", "torchvision:resnet18", "--model-name", "resnet18",
          "--input-shapes", "1,3,224,224", "--output-dir", out])

# 3. a text model with int64 token ids, asking for several backends: portable succeeds, the
#    others are recorded as failed with what they need
torch.save(models.TextTransformer().eval(), os.path.join(work, "text_transformer.pt"))
cli.main([os.path.join(work, "text_transformer.pt"), "--model-name", "text_transformer", "--input-shapes", "1,128",
          "--input-dtypes", "int64", "--backends", "portable", "xnnpack", "coreml", "--output-dir", out,
          "--create-summary"])
print("exported to", out)
