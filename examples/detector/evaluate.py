"""The trained digits detector through petite: export it with petite-export, run the held-out scenes in
petite, decode both petite's and eager PyTorch's outputs with the same decoder and NMS (libpetite_vision),
and report mAP@0.5 for each; `petite detect` on the scene PNGs must find the same boxes.

    /usr/bin/python3 examples/detector/evaluate.py OUT_DIR     (after digits_detector.py OUT_DIR)
"""
import json
import os
import subprocess
import sys

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path[:0] = [ROOT, os.path.join(ROOT, "python"), os.path.dirname(os.path.abspath(__file__))]

from digits_detector import average_precision, decode_all  # noqa: E402
from petite import runtime  # noqa: E402
from petite.export import cli  # noqa: E402


def main():
    out = sys.argv[1]
    petite = os.environ.get("PETITE_CLI", os.path.join(ROOT, "build", "petite"))
    meta = json.load(open(os.path.join(out, "scenes.json")))
    xv = np.load(os.path.join(out, "heldout_scenes.npy"))
    gts = [[tuple(b) for b in s] for s in meta["heldout_boxes"]]
    rc = cli.main([os.path.join(out, "digits_detector.pt"), "--model-name", "digits_detector", "--input-shapes",
                   "1,3,96,96", "--output-dir", out, "--backends", "xnnpack"])
    if rc:
        return rc
    pte = os.path.join(out, "digits_detector_xnnpack.pte")
    model = torch.jit.load(os.path.join(out, "digits_detector.pt"))
    with torch.no_grad():
        eager = model(torch.from_numpy(xv)).numpy()
    m = runtime.Program(pte).load_method()
    mine = np.concatenate([m.run(xv[i:i + 1])[0] for i in range(len(xv))])
    err = float(np.abs(mine - eager).max())
    map_eager = average_precision(decode_all(eager), gts)
    map_petite = average_precision(decode_all(mine), gts)
    print("held-out mAP@0.5 on %d scenes: eager PyTorch %.3f, petite %.3f (max output difference %.2g)"
          % (len(xv), map_eager, map_petite, err))
    # the CLI on the PNGs: the same boxes as petite's outputs decoded here (conf 0.25, iou 0.45)
    same = 0
    for i, s in enumerate(meta["pngs"]):
        png = os.path.join(out, s["image"])
        got = json.loads(subprocess.run([petite, "detect", pte, png, "--json", "--labels",
                                         os.path.join(out, "digit_labels.txt")], capture_output=True, text=True,
                                        check=True).stdout)["detections"]
        want = decode_all(mine[i:i + 1], conf=0.25, iou=0.45)[0]
        same += len(got) == len(want) and all(abs(g["box"][0] - w[0]) < 0.05 and g["class"] == w[5]
                                              for g, w in zip(got, want))
    print("petite detect --json on %d scene PNGs: %d match the decoded outputs" % (len(meta["pngs"]), same))
    ok = abs(map_eager - map_petite) <= 0.01 and same == len(meta["pngs"])
    with open(os.path.join(out, "evaluation.json"), "w") as f:
        json.dump({"map50_eager": map_eager, "map50_petite": map_petite, "max_output_difference": err,
                   "cli_matches": same, "scenes": len(xv)}, f, indent=1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
