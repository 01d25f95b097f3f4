"""petite classify and petite detect end to end, on models trained here (fixed seeds):
- the digits CNN (examples/digits): held-out digits written as PNGs, `petite classify --json` must give
  eager PyTorch's class for each (and the class's label from a labels file);
- the digits detector (examples/detector), trained briefly: exported, run in petite on held-out scenes;
  petite's mAP@0.5 must equal eager's (same decoder and NMS) and `petite detect --json` on the scene PNGs
  must find the boxes the decoded outputs hold (examples/detector/evaluate.py); --out writes a PNG.
Bad input: a labels file of the wrong length and a decoder format that does not match the output are
refused with a message naming the mismatch.

    /usr/bin/python3 tests/python/test_vision_cli.py
"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path[:0] = [ROOT, os.path.join(ROOT, "python")]

import numpy as np  # noqa: E402
import torch  # noqa: E402

passed = failed = 0
PY = "/usr/bin/python3"
CLI = os.environ.get("PETITE_CLI", os.path.join(ROOT, "build", "petite"))


def check(cond, what):
    global passed, failed
    passed += bool(cond)
    failed += not cond
    if not cond:
        print("FAIL", what)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def main():
    from PIL import Image
    env = dict(os.environ)
    env.setdefault("PETITE_LIB", os.path.join(ROOT, "build", "libpetite.so"))
    with tempfile.TemporaryDirectory() as d:
        # classify: the digits CNN
        r = run([PY, os.path.join(ROOT, "examples", "digits", "train_digits.py"), d], env=env)
        check(r.returncode == 0, "train_digits: %s" % r.stderr[-300:])
        r = run([PY, "-m", "petite.export.cli", os.path.join(d, "digits_cnn.pt"), "--model-name", "digits_cnn",
                 "--input-shapes", "1,1,8,8", "--output-dir", d, "--backends", "xnnpack", "--input-mean", "0",
                 "--input-std", "1"], env=dict(env, PYTHONPATH=os.pathsep.join([os.path.join(ROOT, "python"), ROOT])), cwd=d)
        check(r.returncode == 0, "export digits_cnn: %s" % r.stderr[-300:])
        from zoo.build_zoo import digits_data
        _, _, xte, yte = digits_data()
        model = torch.load(os.path.join(d, "digits_cnn.pt"))
        labels = os.path.join(d, "labels.txt")
        with open(labels, "w") as f:
            f.write("".join("digit %d\n" % i for i in range(10)))
        pngs, want = [], []
        for i in range(12):
            a = np.round(xte[i, 0].numpy() * 255).astype(np.uint8)  # the model's input is pixel / 255 exactly
            p = os.path.join(d, "digit_%d.png" % i)
            Image.fromarray(a, "L").save(p)
            pngs.append(p)
            with torch.no_grad():
                want.append(int(model(torch.from_numpy(a.astype(np.float32) / 255)[None, None]).argmax()))
        # the normalization comes from the sidecar JSON (--input-mean 0 --input-std 1 at export)
        r = run([CLI, "classify", os.path.join(d, "digits_cnn_xnnpack.pte"), *pngs, "--resize", "8", "--top", "1",
                 "--labels", labels, "--json"])
        check(r.returncode == 0, "petite classify: %s" % r.stderr)
        if r.returncode == 0:
            res = json.loads(r.stdout)["results"]
            got = [x["top"][0]["class"] for x in res]
            check(got == want, "classify %s, eager %s" % (got, want))
            check(all(x["top"][0]["label"] == "digit %d" % c for x, c in zip(res, got)), "labels in the JSON")
        # JPEG too (lossy: the class of a clear digit survives; compared with eager on the decoded JPEG)
        jpg = os.path.join(d, "digit.jpg")
        Image.fromarray(np.round(xte[0, 0].numpy() * 255).astype(np.uint8), "L").save(jpg, quality=95)
        dec = np.asarray(Image.open(jpg).convert("L")).astype(np.float32) / 255
        r = run([CLI, "classify", os.path.join(d, "digits_cnn_xnnpack.pte"), jpg, "--top", "1", "--resize", "8", "--json"])
        with torch.no_grad():
            jwant = int(model(torch.from_numpy(dec)[None, None]).argmax())
        check(r.returncode == 0 and json.loads(r.stdout)["top"][0]["class"] == jwant,
              "classify a JPEG: %s (eager on the decoded JPEG: %d)" % (r.stdout.strip() or r.stderr, jwant))
        r = run([CLI, "classify", os.path.join(d, "digits_cnn_xnnpack.pte"), pngs[0], "--size", "224"])
        check(r.returncode != 0 and "8 x 8" in r.stderr, "--size that disagrees with the model: %s" % r.stderr.strip())
        r = run([CLI, "classify", os.path.join(d, "digits_cnn_xnnpack.pte"), pngs[0], "--size", "8", "--resize", "8"])
        check(r.returncode == 0, "--size equal to the model's: %s" % r.stderr.strip())
        with open(labels, "a") as f:
            f.write("eleven\n")
        r = run([CLI, "classify", os.path.join(d, "digits_cnn_xnnpack.pte"), pngs[0], "--labels", labels])
        check(r.returncode != 0 and "11 lines" in r.stderr and "10 classes" in r.stderr,
              "a labels file with 11 lines for 10 classes: %s" % r.stderr.strip())
        # detect: a briefly trained detector, eager and petite agree
        r = run([PY, os.path.join(ROOT, "examples", "detector", "digits_detector.py"), d, "--epochs", "4", "--scenes",
                 "2500"], env=env)
        check(r.returncode == 0, "digits_detector: %s" % r.stderr[-500:])
        r = run([PY, os.path.join(ROOT, "examples", "detector", "evaluate.py"), d], env=dict(env, PETITE_CLI=CLI))
        print(r.stdout.strip().splitlines()[-2] if r.stdout.strip() else "")
        check(r.returncode == 0, "evaluate: %s %s" % (r.stdout[-400:], r.stderr[-300:]))
        pte = os.path.join(d, "digits_detector_xnnpack.pte")
        out = os.path.join(d, "annotated.png")
        r = run([CLI, "detect", pte, os.path.join(d, "scene_0.png"), "--out", out])
        check(r.returncode == 0 and os.path.getsize(out) > 0 and Image.open(out).size[0] >= 96, "detect --out: %s" % r.stderr)
        r = run([CLI, "detect", pte, os.path.join(d, "scene_0.png"), "--format", "yolov5"])
        check(r.returncode != 0 and "yolov5" in r.stderr, "a yolov8 output read as yolov5: %s" % r.stderr.strip())
    print("vision cli: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
