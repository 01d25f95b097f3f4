"""Export RMSNet with its RMSNorm kept as the custom operator demo::rms_norm, validated against
eager PyTorch with the kernel library loaded into petite:

    cc -O2 -shared -fPIC -I../../include rms_norm_kernel.c -o librms_norm.so -lm
    /usr/bin/python3 export.py librms_norm.so OUT_DIR
    ../../build/petite run OUT_DIR/rmsnet_xnnpack.pte --kernel-lib ./librms_norm.so
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(HERE, "..", "..", "python")]

import torch  # noqa: E402

from model import build  # noqa: E402
from petite.export import export_model  # noqa: E402


def main():
    lib, out = sys.argv[1], sys.argv[2]
    recs = export_model(build(), torch.randn(2, 16), model_name="rmsnet", output_dir=out,
                        backends=["portable", "xnnpack"], custom_ops={"norm": "demo::rms_norm"}, kernel_libs=[lib])
    for r in recs:
        print(r["file"], "ok" if r["success"] else "FAILED: %s" % r.get("error"), r.get("custom_ops"))
    return 0 if all(r["success"] for r in recs) else 1


if __name__ == "__main__":
    sys.exit(main())
