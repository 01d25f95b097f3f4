"""petite classify and petite detect end to end, on models trained here (fixed seeds):
- the digits CNN (examples/digits): held-out digits written as PNGs, `petite classify --json` must give
  eager PyTorch's class for each (and the class's label from a labels file);
- the digits detector (examples/detector), trained briefly: exported, run in petite on held-out scenes;
  petite's mAP@0.5 must equal eager's (same decoder and NMS) and `petite detect --json` on the scene PNGs
  must find the boxes the decoded outputs hold (examples/detector/evaluate.py); --out writes a PNG.
Bad input: a labels file of the wrong length and a decoder format that does not match the output are
refused with a message naming the mismatch; numbers, image bombs, corrupt PNG / JPEG files, .npy shapes,
--out paths and sidecar lists on two tiny exported models (refusals(); `--refusals` runs only these;
PETITE_CLI_ASAN=an AddressSanitizer petite adds leak checks of the error paths).

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


TINY_MODELS = """
import sys, torch
class Det(torch.nn.Module):  # a fixed YOLOv8-layout output [1, 4 + 3, 8]: 8 disjoint boxes, class k % 3
    def __init__(self):
        super().__init__()
        out = torch.zeros(1, 7, 8)
        for k in range(8):
            out[0, 0, k], out[0, 1, k], out[0, 2, k], out[0, 3, k] = 2 + 4 * k, 16, 3, 3
            out[0, 4 + k % 3, k] = 0.9 - k / 20
        self.register_buffer("out", out)
    def forward(self, x):
        return self.out + 0 * x.mean()
class Cls(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(3, 4)
    def forward(self, x):
        return self.fc(x.mean((2, 3)))
class Ties(torch.nn.Module):  # 1000 fixed logits whose float32 softmax is 1 for 900 and 0 or one subnormal after
    def __init__(self):
        super().__init__()
        out = torch.zeros(1, 1000)
        out[0, 900], out[0, 700], out[0, 600], out[0, 500], out[0, 400] = 200.0, 100.001, 100.0, 90.0, 80.0
        self.register_buffer("out", out)
    def forward(self, x):
        return self.out + 0 * x.mean()
class Q8(torch.nn.Module):  # an int8 output (raw scores of a quantized classifier)
    def __init__(self):
        super().__init__()
        out = torch.zeros(1, 10)
        out[0, 7], out[0, 3], out[0, 5] = 120.0, 110.0, -5.0
        self.register_buffer("out", out)
    def forward(self, x):
        return (self.out + 0 * x.mean()).to(torch.int8)
torch.manual_seed(0)
torch.jit.script(Det()).save(sys.argv[1] + "/det.pt")
torch.jit.script(Cls()).save(sys.argv[1] + "/cls.pt")
torch.jit.script(Ties()).save(sys.argv[1] + "/ties.pt")
torch.jit.script(Q8()).save(sys.argv[1] + "/q8.pt")
"""


def png_chunk(t, data):
    import struct
    import zlib
    return struct.pack(">I", len(data)) + t + data + struct.pack(">I", zlib.crc32(t + data) & 0xFFFFFFFF)


def ranking(d, img, refused):
    """issue 19: classify ranked a float32 softmax, so logits whose probabilities round equal (0 below the
    top, or one subnormal) tied and classes 0, 1, 2... came out: ranked on the logits now (int8 outputs on
    their raw values), the softmax shown beside"""
    r = run([CLI, "classify", os.path.join(d, "ties_portable.pte"), img, "--json"])
    top = json.loads(r.stdout)["top"] if r.returncode == 0 else []
    check([t["class"] for t in top] == [900, 700, 600, 500, 400] and top[0]["score"] == 1 and top[1]["logit"] > 100,
          "classify ranks near-tie logits in their order: %s %s" % (top, r.stderr.strip()))
    r = run([CLI, "classify", os.path.join(d, "q8_portable.pte"), img, "--json", "--top", "3"])
    top = json.loads(r.stdout)["top"] if r.returncode == 0 else []
    check([(t["class"], t["raw"], t["score"]) for t in top] == [(7, 120, None), (3, 110, None), (0, 0, None)],
          "an int8 output: ranked on the raw values: %s %s" % (top, r.stderr.strip()))
    r = run([CLI, "classify", os.path.join(d, "q8_portable.pte"), img, "--json", "--top", "2", "--output-scale", "0.1"])
    top = json.loads(r.stdout)["top"] if r.returncode == 0 else []
    want = np.exp(np.array([12.0, 11.0]) - 12.0) / (np.exp(-12.0) * 7 + np.exp(-12.5) + 1 + np.exp(-1.0))
    check(len(top) == 2 and all(abs(t["score"] - w) < 1e-5 for t, w in zip(top, want)),
          "an int8 output with --output-scale: softmax of the dequantized values %s, want %s" % (top, want))
    refused(["classify", os.path.join(d, "q8_portable.pte"), img, "--output-scale", "0"], ["--output-scale"],
            "--output-scale 0", (2,))
    refused(["classify", os.path.join(d, "cls_portable.pte"), img, "--interp", "cubic"], ["--interp", "cubic"],
            "--interp cubic", (2,))
    r = run([CLI, "classify", os.path.join(d, "cls_portable.pte"), img, "--interp", "bilinear"])
    check(r.returncode == 0, "--interp bilinear (no antialiasing) still selectable: %s" % r.stderr.strip())


def refusals(d, env):
    """issue 19: numbers parsed unchecked, a heap overflow from --max-det -1, decompression bombs, corrupt
    files decoded silently or named as the wrong format, (null) labels, --out failures, .npy shapes past
    the file; each refused with a message naming the option, file or format (exit 1 or 2, never a crash)"""
    import struct
    import time
    import zlib
    from PIL import Image
    penv = dict(env, PYTHONPATH=os.pathsep.join([os.path.join(ROOT, "python"), ROOT]))
    with open(os.path.join(d, "tiny_models.py"), "w") as f:  # TorchScript reads the source from a file
        f.write(TINY_MODELS)
    r = run([PY, os.path.join(d, "tiny_models.py"), d])
    check(r.returncode == 0, "tiny models: %s" % r.stderr[-300:])
    for name, shape in (("det", "1,3,32,32"), ("cls", "1,3,16,16"), ("ties", "1,3,16,16"), ("q8", "1,3,16,16")):
        r = run([PY, "-m", "petite.export.cli", os.path.join(d, name + ".pt"), "--model-name", name, "--input-shapes",
                 shape, "--output-dir", d, "--backends", "portable"], env=penv, cwd=d)
        check(r.returncode == 0, "export %s: %s" % (name, r.stderr[-300:]))
    det, cls = os.path.join(d, "det_portable.pte"), os.path.join(d, "cls_portable.pte")
    pix = (np.arange(32 * 32 * 3) % 251).astype(np.uint8).reshape(32, 32, 3)
    img, jpg, prog = (os.path.join(d, n) for n in ("img.png", "img.jpg", "prog.jpg"))
    Image.fromarray(pix).save(img)
    Image.fromarray(pix).save(jpg, quality=90)
    Image.fromarray(pix).save(prog, quality=90, progressive=True)

    def refused(args, words, what, rc=(1, 2)):
        t0 = time.time()
        r = run([CLI] + args)
        dt = time.time() - t0
        ok = r.returncode in rc and all(w in r.stderr for w in words) and dt < 10
        check(ok, "%s: exit %d in %.1f s, %s" % (what, r.returncode, dt, r.stderr.strip()[:300]))
        return r

    r = run([CLI, "detect", det, img, "--json"])
    check(r.returncode == 0 and len(json.loads(r.stdout)["detections"]) == 8, "tiny detector: %s" % r.stderr)
    # numbers: the whole word, finite, in range, the option named
    refused(["detect", det, img, "--max-det", "-1"], ["--max-det", "-1"], "--max-det -1 (a heap overflow before)", (2,))
    refused(["detect", det, img, "--max-det", "0"], ["--max-det"], "--max-det 0", (2,))
    refused(["detect", det, img, "--conf", "abc"], ["--conf", "abc"], "--conf abc (0 before)", (2,))
    refused(["detect", det, img, "--conf", "nan"], ["--conf"], "--conf nan", (2,))
    refused(["detect", det, img, "--iou", "0.5x"], ["--iou"], "--iou 0.5x", (2,))
    refused(["classify", cls, img, "--top", "x"], ["--top"], "--top x", (2,))
    refused(["classify", cls, img, "--top", "3abc"], ["--top"], "--top 3abc", (2,))
    refused(["classify", cls, img, "--threads", "x"], ["--threads"], "--threads x", (2,))
    refused(["classify", cls, img, "--resize", "99999999999"], ["--resize"], "--resize out of range", (2,))
    refused(["classify", cls, img, "--std", "1e-45"], ["--std"], "--std 1e-45 (every score NaN before)", (2,))
    refused(["classify", cls, img, "--std", "0"], ["--std"], "--std 0", (2,))
    refused(["classify", cls, img, "--mean", "0.5", "0.5"], ["--mean", "1 or 3"], "--mean of two numbers", (2,))
    refused(["classify", cls, img, "--mean"], ["--mean"], "--mean of no numbers", (2,))
    refused(["run", cls, "--threads", "2x"], ["--threads"], "run --threads 2x", (2,))
    refused(["bench", cls, "--runs", "ten"], ["--runs"], "bench --runs ten", (2,))
    r = run([CLI, "classify", cls, img, "--top", "2", "--std", "0.5", "--mean", "0.1", "0.2", "0.3", "--threads", "2"])
    check(r.returncode == 0 and "class" in r.stdout, "good numbers still work: %s" % r.stderr)
    ranking(d, img, refused)
    # a sidecar list of the wrong length is refused, not half applied
    side = os.path.join(d, "cls_portable.json")
    with open(side) as f:
        meta = json.load(f)
    meta.setdefault("preprocessing", {})["mean"] = [100, 100]
    with open(side, "w") as f:
        json.dump(meta, f)
    refused(["classify", cls, img], ["preprocessing.mean", "2 numbers"], "sidecar mean [100, 100]", (1,))
    meta["preprocessing"]["mean"] = [0.5]
    meta["preprocessing"]["std"] = [1e-45, 1, 1]
    with open(side, "w") as f:
        json.dump(meta, f)
    refused(["classify", cls, img], ["preprocessing.std"], "sidecar std 1e-45", (1,))
    os.remove(side)
    # labels past the file's end: the class index, not (null)
    labels = os.path.join(d, "two.txt")
    with open(labels, "w") as f:
        f.write("zero\none\n")
    r = run([CLI, "detect", det, img, "--labels", labels])
    check(r.returncode == 0 and "(null)" not in r.stdout and "class 2" in r.stdout and "zero" in r.stdout and
          "no label" in r.stderr, "classes past the labels: %s / %s" % (r.stdout[:300], r.stderr.strip()))
    # --out that cannot be written: the reason, exit 1
    refused(["detect", det, img, "--out", os.path.join(d, "no", "such", "dir", "x.png")], ["--out", "x.png"],
            "--out in a missing directory", (1,))
    refused(["detect", det, img, "--out", d], ["--out"], "--out a directory", (1,))
    refused(["detect", det, img, "--out", "x" * 5000 + ".png"], ["--out", "longer"], "--out past the path buffer", (1,))
    r = run([CLI, "detect", det, img, img, "--out", os.path.join(d, "ann.png")])
    check(r.returncode == 0 and os.path.exists(os.path.join(d, "ann_0.png")) and os.path.exists(os.path.join(d, "ann_1.png")),
          "--out with two images: %s" % r.stderr)
    # image bombs: a small file claiming a huge picture, refused from its header (4.97 GB and 59 s before)
    sig = b"\x89PNG\r\n\x1a\n"
    ihdr = png_chunk(b"IHDR", struct.pack(">IIBBBBB", 26000, 26000, 8, 2, 0, 0, 0))
    bomb = os.path.join(d, "bomb.png")
    with open(bomb, "wb") as f:
        f.write(sig + ihdr + png_chunk(b"IDAT", zlib.compress(b"\0" * 64)) + png_chunk(b"IEND", b""))
    refused(["classify", cls, bomb], ["bomb.png", "26000 x 26000 PNG", "megapixels"], "a PNG claiming 26000 x 26000", (1,))
    jb = bytearray(open(prog, "rb").read())
    at = jb.index(b"\xff\xc2")  # the progressive frame header: height, width
    jb[at + 5:at + 9] = struct.pack(">HH", 26000, 26000)
    with open(os.path.join(d, "bomb.jpg"), "wb") as f:
        f.write(jb)
    refused(["classify", cls, os.path.join(d, "bomb.jpg")], ["26000 x 26000 JPEG"], "a progressive JPEG claiming 26000^2",
            (1,))
    with open(os.path.join(d, "bomb.psd"), "wb") as f:
        f.write(b"8BPS\x00\x01" + b"\0" * 6 + struct.pack(">HIIHH", 3, 30000, 30000, 8, 3) + b"\0" * 27)
    refused(["classify", cls, os.path.join(d, "bomb.psd")], ["not a PNG or JPEG"], "a 53-byte PSD", (1,))
    # corrupt files: the format and the reason
    p = open(img, "rb").read()
    k = p.index(b"IDAT")
    n = struct.unpack(">I", p[k - 4:k])[0]
    bad = bytearray(p)
    bad[k + 10] ^= 0xFF
    with open(os.path.join(d, "crc.png"), "wb") as f:
        f.write(bad)
    refused(["classify", cls, os.path.join(d, "crc.png")], ["PNG", "IDAT", "CRC"], "a PNG with a bad CRC", (1,))
    data = bytearray(p[k + 4:k + 4 + n])
    data[5] ^= 0xFF
    data[6] ^= 0x55
    with open(os.path.join(d, "deflate.png"), "wb") as f:
        f.write(p[:k - 4] + png_chunk(b"IDAT", bytes(data)) + p[k + 8 + n:])
    refused(["classify", cls, os.path.join(d, "deflate.png")], ["deflate.png: PNG:"], "a PNG with broken deflate", (1,))
    with open(os.path.join(d, "cut.png"), "wb") as f:
        f.write(p[:len(p) // 2])
    refused(["classify", cls, os.path.join(d, "cut.png")], ["PNG", "truncated"], "a cut PNG", (1,))
    for cut in (100, 1000):
        with open(os.path.join(d, "cut.jpg"), "wb") as f:
            f.write(open(jpg, "rb").read()[:cut])
        r = refused(["classify", cls, os.path.join(d, "cut.jpg")], ["JPEG", "truncated"], "a JPEG cut at %d bytes" % cut, (1,))
        check("png" not in r.stderr.lower(), "a cut JPEG named as a PNG: %s" % r.stderr.strip())
    # a Huffman table of more than 256 codes: stb_image 2.27 writes past its size list (fuzz_image found it)
    jh = bytearray(open(jpg, "rb").read())
    at = jh.index(b"\xff\xc4")
    jh[at + 5:at + 21] = bytes([20] * 16)
    with open(os.path.join(d, "dht.jpg"), "wb") as f:
        f.write(jh)
    refused(["classify", cls, os.path.join(d, "dht.jpg")], ["JPEG", "Huffman table", "320 codes"], "a DHT of 320 codes", (1,))
    # a scan using a Huffman table never defined: stb 2.27 decodes with an uninitialized table (fuzz_image)
    jn, out = open(jpg, "rb").read(), b""
    while b"\xff\xc4" in jn:  # every DHT segment dropped
        at = jn.index(b"\xff\xc4")
        out, jn = out + jn[:at], jn[at + 2 + struct.unpack(">H", jn[at + 2:at + 4])[0]:]
    with open(os.path.join(d, "nodht.jpg"), "wb") as f:
        f.write(out + jn)
    refused(["classify", cls, os.path.join(d, "nodht.jpg")], ["JPEG", "never defined"], "a JPEG without its tables", (1,))
    # .npy: a shape past the file's end is refused before its memory is allocated
    with open(os.path.join(d, "huge.npy"), "wb") as f:
        head = "{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 100), }"
        head += " " * (63 - (10 + len(head)) % 64) + "\n"
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(head)) + head.encode() + b"\0" * 64)
    refused(["run", cls, "--input", os.path.join(d, "huge.npy")], ["huge.npy", "the shape needs"], ".npy shape past the file",
            (1,))
    refused(["run", os.path.join(d, "no_such.pte"), "--input", "double:2abc"], [], "run with no model", (1,))
    # leaks on error paths after the model is open: checked when an AddressSanitizer CLI is given
    asan = os.environ.get("PETITE_CLI_ASAN")
    if asan:
        for args in (["classify", cls, bomb], ["detect", det, img, "--anchors", os.path.join(d, "huge.npy")],
                     ["classify", det, img, "--size", "16"], ["detect", det, img, "--out", d]):
            r = run([asan] + args)
            check(r.returncode in (1, 2) and "Sanitizer" not in r.stderr, "ASan %s: %s" % (args[:2], r.stderr[-600:]))


def main():
    from PIL import Image
    env = dict(os.environ)
    env.setdefault("PETITE_LIB", os.path.join(ROOT, "build", "libpetite.so"))
    with tempfile.TemporaryDirectory() as d:
        refusals(d, env)
        if sys.argv[1:] == ["--refusals"]:  # the quick part alone
            print("vision cli: %d passed, %d failed" % (passed, failed))
            return 1 if failed else 0
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
