"""petite_vision (through its ctypes binding) against PyTorch and torchvision as references:
- bilinear resizing against torch.nn.functional.interpolate(align_corners=False, antialias=False), up and
  down, and "area" against mode="area", within 2e-3 of a 0..255 pixel;
- the non-antialiased classification recipe (interp "bilinear": Resize(256, antialias=False) + CenterCrop(224)
  + Normalize) against torchvision.transforms on the same tensor, within 1e-4 of a normalized value per 1/255;
- antialiased bilinear ("bilinear_aa", the default) against F.interpolate(antialias=True) within 2e-3 of a
  0..255 pixel, and the default recipe against torchvision's on a PIL image (Resize(256) + CenterCrop(224) +
  ToTensor + Normalize): PIL rounds to uint8 after each of its two passes, so within 1 / 255 of the pixel
  range (1 / 255 / std after Normalize); the non-antialiased resize is more than 10x that far from it;
- camera YUV (NV21, NV12, I420) of odd and even widths and heights, packed and with padded strides,
  against a BT.601 conversion written here with numpy;
- classify() ranks on the logits: near-ties that float softmax rounds together keep the logits' order;
- rotation and mirroring against numpy's rot90 / fliplr;
- NMS against torchvision.ops.nms and batched_nms on thousands of random boxes (same kept indices), and
  YOLOv8 decoding + NMS against a reference written here with torchvision.

    /usr/bin/python3 tests/python/test_vision.py
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import torchvision  # noqa: E402
import torchvision.transforms as T  # noqa: E402

from petite import vision  # noqa: E402

passed = failed = 0


def check(cond, what):
    global passed, failed
    passed += bool(cond)
    failed += not cond
    if not cond:
        print("FAIL", what)


def raw(img, w, h, **kw):
    """pixels 0..255 as float [3, h, w] (mean 0, std 1/255)"""
    out, _ = vision.preprocess(img, w, h, mean=(0, 0, 0), std=(1 / 255.0,) * 3, **kw)
    return out[0]


def refused(fn, what, words=(), errors=(ValueError,)):
    """fn() must raise one of errors (a clean Python exception, not a crash) whose message holds words"""
    try:
        fn()
    except errors as e:
        check(all(w in str(e) for w in words), "%s: the message %r lacks %s" % (what, str(e), words))
        return
    except Exception as e:  # noqa: BLE001
        check(False, "%s: %s %s" % (what, type(e).__name__, e))
        return
    check(False, "%s: accepted" % what)


def refusals(rng):
    """issue 19: the binding passed wrong lengths, shapes and counts straight to C (heap over-reads and
    writes, a SEGV for k = 0) and read an RGBA array as RGB"""
    p = rng.random(10).astype(np.float32)
    refused(lambda: vision.topk(p, 0), "topk k = 0", ["k"])
    refused(lambda: vision.topk(p, -1), "topk k = -1 (wrapped to 2^32 - 1 by ctypes)", ["k"])
    refused(lambda: vision.topk(p, 2.5), "topk k = 2.5", ["k"])
    refused(lambda: vision.topk(np.zeros(0, np.float32), 1), "topk of no scores", ["no scores"])
    check([c for c, _ in vision.topk(p, 50)] == list(np.argsort(-p, kind="stable")), "topk k > n: all of them")
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], np.float32)
    scores = np.array([0.9, 0.8, 0.7], np.float32)
    check(vision.nms(boxes, scores, 0.5) == [0, 2], "nms of 3 boxes")
    refused(lambda: vision.nms(boxes, np.append(scores, 0.1), 0.5), "nms: 3 boxes, 4 scores", ["[n, 4]"])
    refused(lambda: vision.nms(boxes[:2], scores, 0.5), "nms: 2 boxes, 3 scores", ["[n, 4]"])
    refused(lambda: vision.nms(boxes.reshape(1, 12), scores[:1], 0.5), "nms: boxes [1, 12]", ["[n, 4]"])
    refused(lambda: vision.nms(boxes, scores, 0.5, classes=[0, 1]), "nms: 2 classes for 3 boxes", ["classes"])
    refused(lambda: vision.nms(boxes, scores, float("nan")), "nms: iou NaN", ["iou"])
    A = 6
    deltas = np.zeros((1, A, 4), np.float32)
    logits = np.zeros((1, A, 3), np.float32)
    anchors = np.full((A, 4), 0.5, np.float32)
    check(isinstance(vision.detect([deltas, logits], "ssd", anchors=anchors, input_size=(100, 100)), list), "ssd runs")
    refused(lambda: vision.detect([deltas, logits], "ssd", anchors=anchors[:, :2].copy(), input_size=(100, 100)),
            "ssd anchors [N, 2] (C reads 4 floats per anchor)", ["anchors", "[N, 4]"])
    refused(lambda: vision.detect([deltas, logits], "ssd", anchors=anchors.reshape(-1), input_size=(100, 100)),
            "ssd anchors flat", ["anchors"])
    refused(lambda: vision.detect([deltas], "ssd", anchors=anchors, input_size=(100, 100)), "ssd with one output",
            ["2 outputs"])
    refused(lambda: vision.detect([np.zeros((1, 6, 20), np.float32)], "yolov9"), "unknown format", ["format"])
    refused(lambda: vision.detect([np.zeros((1, 6, 20), np.float32)], "yolov8", cap=-1), "cap -1", ["cap"])
    refused(lambda: vision.detect([np.zeros((1, 6, 20), np.float32)], "yolov8", max_detections=-1), "max_detections -1",
            ["max_detections"])
    # RGBA with the default format: read as RGBA (not RGB rows of the wrong length); a wrong fmt is refused
    img = rng.integers(0, 256, (9, 7, 3), dtype=np.uint8)
    rgba = np.concatenate([img, np.full((9, 7, 1), 255, np.uint8)], 2)
    want, _ = vision.preprocess(img, 7, 9, fit="stretch")
    got, _ = vision.preprocess(rgba, 7, 9, fit="stretch")
    check(np.array_equal(got, want), "an RGBA array with the default format: the RGB picture")
    gray = img[:, :, 0]
    got, _ = vision.preprocess(gray, 7, 9, fit="stretch", channels=1, mean=(0,), std=(1 / 255,))
    check(np.allclose(got[0, 0], gray, atol=1e-3), "a 2-D array: gray")
    refused(lambda: vision.preprocess(rgba, 7, 9, fmt="rgb"), "RGBA pixels as fmt rgb", ["rgb"])
    refused(lambda: vision.preprocess(img, 7, 9, fmt="rgba"), "RGB pixels as fmt rgba", ["rgba"])
    refused(lambda: vision.preprocess(np.zeros((4, 4, 2), np.uint8), 4, 4), "2-channel pixels", ["shape"])
    refused(lambda: vision.preprocess(img, 7, 9, mean=(0.5, 0.5)), "two means (half applied before)", ["1 or 3"])
    refused(lambda: vision.preprocess(img, 7, 9, std=()), "no std", ["1 or 3"])
    refused(lambda: vision.preprocess(img, 7, 9, fit="letterbox", pad_value=float("nan")), "pad_value NaN", ["pad_value"])
    refused(lambda: vision.preprocess(img, 7, 9, std=(1e-45,)), "std subnormal", ["std"], (vision.VisionError,))
    refused(lambda: vision.preprocess(img, 2 ** 32 + 7, 9), "width 2^32 + 7 (ctypes would keep 7)", ["width"])


def antialiased(rng, img):
    """issue 19: the resize matched torchvision's tensor Resize(antialias=False) only; the usual training
    recipe (PIL images, antialiased when shrinking) gave other inputs"""
    from PIL import Image
    t = torch.from_numpy(img).permute(2, 0, 1)[None].float()
    for (w, h) in ((20, 15), (9, 30), (53, 37), (80, 61), (5, 3), (1, 1)):
        got = raw(img, w, h, fit="stretch", interp="bilinear_aa")
        want = F.interpolate(t, size=(h, w), mode="bilinear", align_corners=False, antialias=True)[0].numpy()
        err = np.abs(got - want).max()
        check(err <= 2e-3, "antialiased bilinear %dx%d against F.interpolate(antialias=True): max error %g" % (w, h, err))
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    # PIL rounds to uint8 after each pass (<= 0.5 level each, 0.5 carried through the second pass's weights):
    # at most 1 / 255 of the pixel range (+ 0.002 level for PIL's 22-bit fixed-point weights), after Normalize
    tol = 1.002 / 255 / min(std)
    pil = T.Compose([T.Resize(256), T.CenterCrop(224), T.ToTensor(), T.Normalize(mean, std)])
    yy, xx = np.mgrid[0:480, 0:640]
    smooth = np.stack([(xx * 255 // 639), (yy * 255 // 479), ((xx + yy) * 3 % 256)], 2).astype(np.uint8)
    for name, pic in (("noise 300x400", rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)),
                      ("noise 1000x777", rng.integers(0, 256, (1000, 777, 3), dtype=np.uint8)),
                      ("gradients 480x640", smooth), ("noise 200x180 (enlarged)", rng.integers(0, 256, (200, 180, 3),
                                                                                             dtype=np.uint8))):
        want = pil(Image.fromarray(pic)).numpy()
        got, _ = vision.preprocess(pic, 224, 224)  # the defaults: the same recipe
        err = np.abs(got[0] - want).max()
        print("  default recipe vs torchvision on a PIL image, %s: max abs difference %.5f (%.3f / 255 / std)"
              % (name, err, err * 255 * min(std)))
        check(err <= tol, "default recipe vs torchvision's PIL pipeline, %s: max error %g > %g" % (name, err, tol))
        if "enlarged" not in name:  # the old non-antialiased resize is far from it when shrinking
            old, _ = vision.preprocess(pic, 224, 224, interp="bilinear")
            check(np.abs(old[0] - want).max() > 10 * tol, "interp bilinear differs from PIL's when shrinking (%s)" % name)
    # uint8 output of the default recipe (pixels, no normalization) within one level of PIL's pixels
    pic = rng.integers(0, 256, (333, 500, 3), dtype=np.uint8)
    want = np.asarray(T.CenterCrop(224)(T.Resize(256)(Image.fromarray(pic)))).astype(np.int32)
    q, _ = vision.preprocess(pic, 224, 224, layout="nhwc", dtype=np.uint8, mean=(0, 0, 0), std=(1, 1, 1), scale=1 / 255)
    d = np.abs(q[0].astype(np.int32) - want).max()
    check(d <= 1, "uint8 pixels of the default recipe vs PIL's: max difference %d levels" % d)


def yuv_rgb(Y, U, V):
    """BT.601 full range written here: float RGB [h, w, 3] from full-resolution planes"""
    Y, U, V = (a.astype(np.float64) for a in (Y, U, V))
    r = Y + 1.402 * (V - 128)
    g = Y - 0.344136 * (U - 128) - 0.714136 * (V - 128)
    b = Y + 1.772 * (U - 128)
    return np.clip(np.stack([r, g, b], 2), 0, 255)


def yuv_odd(rng):
    """issue 19: NV21 / NV12 frames of an odd width were read with the Y stride as their chroma stride
    (off by up to 2.6 against the same frame as I420)"""
    for (w, h) in ((7, 5), (8, 5), (7, 6), (1, 1), (13, 3), (6, 4)):
        w2, h2 = (w + 1) // 2, (h + 1) // 2
        Y = rng.integers(0, 256, (h, w), dtype=np.uint8)
        U = rng.integers(0, 256, (h2, w2), dtype=np.uint8)
        V = rng.integers(0, 256, (h2, w2), dtype=np.uint8)
        up = lambda c: np.repeat(np.repeat(c, 2, 0), 2, 1)[:h, :w]  # noqa: E731
        want = yuv_rgb(Y, up(U), up(V)).transpose(2, 0, 1)
        for pad in (0, 3):  # packed rows, then rows padded by 3 bytes (Y and chroma)
            ys = w + pad
            Yp = np.zeros((h, ys), np.uint8)
            Yp[:, :w] = Y
            cs = 2 * w2 + pad  # interleaved chroma row
            vu, uv = np.zeros((h2, cs), np.uint8), np.zeros((h2, cs), np.uint8)
            vu[:, 0:2 * w2:2], vu[:, 1:2 * w2:2] = V, U
            uv[:, 0:2 * w2:2], uv[:, 1:2 * w2:2] = U, V
            ps = w2 + pad  # I420 chroma row
            Up, Vp = np.zeros((h2, ps), np.uint8), np.zeros((h2, ps), np.uint8)
            Up[:, :w2], Vp[:, :w2] = U, V
            frames = {"nv21": np.concatenate([Yp.ravel(), vu.ravel()]), "nv12": np.concatenate([Yp.ravel(), uv.ravel()]),
                      "i420": np.concatenate([Yp.ravel(), Up.ravel(), Vp.ravel()])}
            for fmt, buf in frames.items():
                kw = dict(stride=ys, uv_stride=ps if fmt == "i420" else cs) if pad else {}
                try:
                    got = raw(buf, w, h, fmt=fmt, image_size=(w, h), fit="stretch", **kw)
                    err = np.abs(got - want).max()
                except vision.VisionError as e:
                    err = str(e)
                check(not isinstance(err, str) and err < 2e-3,
                      "%s %dx%d%s against numpy's BT.601: %s" % (fmt, w, h, " padded" if pad else "", err))
            if w % 2 and not pad:  # a byte short is refused (the odd width's chroma rows are w + 1 long)
                try:
                    raw(frames["nv21"][:-1], w, h, fmt="nv21", image_size=(w, h), fit="stretch", **(
                        dict(stride=ys, uv_stride=cs) if pad else {}))
                    check(False, "a short nv21 buffer %dx%d accepted" % (w, h))
                except vision.VisionError as e:
                    check("pv_image.size" in str(e), "short nv21: %s" % e)
    refused = False
    try:
        raw(np.zeros(200, np.uint8), 7, 5, fmt="nv12", image_size=(7, 5), fit="stretch", uv_stride=7)
    except vision.VisionError as e:
        refused = "uv_stride" in str(e)
    check(refused, "an nv12 uv_stride shorter than a chroma row (8 bytes for width 7) is refused")


def classify_near_ties():
    """issue 19: classes were ranked on float32 softmax values: logits whose probabilities round to the
    same float (0 far below the top, or one subnormal) tied and the lowest classes (0, 1, 2...) came out"""
    x = np.zeros(1000, np.float32)
    x[[900, 700, 600, 500, 400, 300]] = [200, 100.001, 100, 90, 80, 70]
    x[[10, 11]] = [200.0001, 199.9999]  # apart by about one float32 step at 200
    want = list(np.argsort(-x.astype(np.float64), kind="stable")[:8])
    got = vision.classify(x, 8)
    check([c for c, _ in got] == want, "classify ranks on the logits: %s, want %s" % ([c for c, _ in got], want))
    p = np.exp(x.astype(np.float64) - x.max())
    p /= p.sum()
    check(all(abs(s - p[c]) <= 1e-6 * max(p[c], 1e-30) + 1e-45 for c, s in got), "classify probabilities: %s" % got)
    old = [c for c, _ in vision.topk(vision.softmax(x), 8)]
    check(old != want, "the softmax ranking does tie here (else this test cannot fail): %s" % old)
    check([c for c, _ in vision.classify([1.0, 3.0, 3.0, float("nan"), 2.0], 5)] == [1, 2, 4, 0, 3],
          "classify: equal logits by class, NaN last")


def main():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    t = torch.from_numpy(img).permute(2, 0, 1)[None].float()
    for (w, h) in ((20, 15), (53, 37), (80, 61), (7, 30)):
        got = raw(img, w, h, fit="stretch", interp="bilinear")
        want = F.interpolate(t, size=(h, w), mode="bilinear", align_corners=False)[0].numpy()
        err = np.abs(got - want).max()
        check(err <= 2e-3, "bilinear %dx%d: max error %g" % (w, h, err))
        got = raw(img, w, h, fit="stretch", interp="area")
        want = F.interpolate(t, size=(h, w), mode="area")[0].numpy()
        err = np.abs(got - want).max()
        check(err <= 2e-3, "area %dx%d: max error %g" % (w, h, err))
    # the ImageNet recipe on a larger picture, without antialiasing (interp "bilinear")
    big = rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)
    tb = torch.from_numpy(big).permute(2, 0, 1).float() / 255.0
    tr = T.Compose([T.Resize(256, antialias=False), T.CenterCrop(224),
                    T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])
    want = tr(tb).numpy()
    got, tf = vision.preprocess(big, 224, 224, interp="bilinear")
    err = np.abs(got[0] - want).max()
    check(err <= 1e-4 * 255 / 0.225 / 255 * 2, "Resize(256) + CenterCrop(224) + Normalize: max error %g" % err)
    antialiased(rng, img)
    yuv_odd(rng)
    classify_near_ties()
    # rotation (clockwise to upright) and mirroring
    for rot in (90, 180, 270):
        for mirror in (False, True):
            up = np.rot90(img, k=-rot // 90)
            if mirror:
                up = np.fliplr(up)
            got = raw(img, up.shape[1], up.shape[0], fit="stretch", rotation=rot, mirror=mirror)
            check(np.abs(got - up.transpose(2, 0, 1).astype(np.float32)).max() < 1e-3, "rotation %d mirror %d" % (rot, mirror))
    # uint8 NHWC output of a raw-pixel model is the resized picture itself
    q, _ = vision.preprocess(img, 53, 37, fit="stretch", layout="nhwc", dtype=np.uint8, mean=(0, 0, 0), std=(1, 1, 1),
                             scale=1 / 255.0)
    check(np.array_equal(q[0], img), "uint8 NHWC identity")
    # NMS: random boxes, distinct scores
    n = 3000
    xy = rng.uniform(0, 500, (n, 2)).astype(np.float32)
    wh = rng.uniform(1, 80, (n, 2)).astype(np.float32)
    boxes = np.concatenate([xy, xy + wh], 1)
    scores = rng.permutation(n).astype(np.float32) / n
    classes = rng.integers(0, 5, n).astype(np.int32)
    for iou in (0.3, 0.5, 0.7):
        want = torchvision.ops.nms(torch.from_numpy(boxes), torch.from_numpy(scores), iou).tolist()
        check(vision.nms(boxes, scores, iou) == want, "nms iou %.1f against torchvision" % iou)
        want = torchvision.ops.batched_nms(torch.from_numpy(boxes), torch.from_numpy(scores), torch.from_numpy(classes),
                                           iou).tolist()
        check(vision.nms(boxes, scores, iou, classes) == want, "batched nms iou %.1f against torchvision" % iou)
    # YOLOv8 decode against a reference: best class per box, conf 0.25, class-aware NMS 0.45
    N, C = 2000, 7
    out = np.zeros((1, 4 + C, N), np.float32)
    out[0, 0:2] = rng.uniform(0, 640, (2, N))
    out[0, 2:4] = rng.uniform(4, 120, (2, N))
    out[0, 4:] = (rng.permutation(C * N).reshape(C, N) / (C * N)) ** 3  # distinct scores: no ties to order
    dets = vision.detect([out], "yolov8", conf=0.25, iou=0.45, max_detections=300)
    cls = out[0, 4:].argmax(0)
    sc = out[0, 4:].max(0)
    m = sc >= 0.25
    cx, cy, w, h = out[0, 0][m], out[0, 1][m], out[0, 2][m], out[0, 3][m]
    b = torch.from_numpy(np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1))
    keep = torchvision.ops.batched_nms(b, torch.from_numpy(sc[m]), torch.from_numpy(cls[m]), 0.45)[:300]
    want = [(float(b[i, 0]), float(sc[m][i]), int(cls[m][i])) for i in keep]
    got = [(d[0], d[4], d[5]) for d in dets]
    bad = [(i, g, w_) for i, (g, w_) in enumerate(zip(got, want)) if not (abs(g[0] - w_[0]) < 1e-3 and g[2] == w_[2])]
    if bad:
        print("first yolov8 mismatch:", bad[:3])
    check(len(got) == len(want) and all(abs(g[0] - w_[0]) < 1e-3 and abs(g[1] - w_[1]) < 1e-6 and g[2] == w_[2]
                                        for g, w_ in zip(got, want)),
          "yolov8 decode + NMS: %d detections, reference %d" % (len(got), len(want)))
    # everything under the threshold: no detections; SSD against a reference written here
    check(vision.detect([out * np.array([1, 1, 1, 1] + [0.01] * C, np.float32)[None, :, None]], "yolov8") == [],
          "all scores under the threshold: nothing")
    A, K = 500, 4
    anchors = np.stack([rng.uniform(0.1, 0.9, A), rng.uniform(0.1, 0.9, A), rng.uniform(0.05, 0.3, A),
                        rng.uniform(0.05, 0.3, A)], 1).astype(np.float32)  # cy, cx, h, w
    deltas = rng.normal(0, 1, (1, A, 4)).astype(np.float32)                 # dy, dx, dh, dw
    logits = rng.normal(-2, 2, (1, A, K)).astype(np.float32)
    dets = vision.detect([deltas, logits], "ssd", conf=0.5, iou=0.45, anchors=anchors, input_size=(300, 200))
    prob = 1 / (1 + np.exp(-logits[0].astype(np.float64)))
    cls = prob[:, 1:].argmax(1) + 1
    sc = prob[np.arange(A), cls]
    cy = anchors[:, 0] + deltas[0, :, 0] * 0.1 * anchors[:, 2]
    cx = anchors[:, 1] + deltas[0, :, 1] * 0.1 * anchors[:, 3]
    h = anchors[:, 2] * np.exp(deltas[0, :, 2] * 0.2)
    w = anchors[:, 3] * np.exp(deltas[0, :, 3] * 0.2)
    bx = np.stack([(cx - w / 2) * 300, (cy - h / 2) * 200, (cx + w / 2) * 300, (cy + h / 2) * 200], 1)
    m = sc >= 0.5
    keep = torchvision.ops.batched_nms(torch.from_numpy(bx[m]).float(), torch.from_numpy(sc[m]).float(),
                                       torch.from_numpy(cls[m]), 0.45).tolist()
    want = [(float(bx[m][i, 0]), int(cls[m][i])) for i in keep]
    check(len(dets) == len(want) and all(abs(d[0] - w_[0]) < 1e-2 and d[5] == w_[1] for d, w_ in zip(dets, want)),
          "ssd decode (sigmoid scores, background skipped, variances) + NMS: %d vs reference %d" % (len(dets), len(want)))
    # top-K against numpy
    logits = rng.normal(size=1000).astype(np.float32)
    p = vision.softmax(logits)
    ref = np.exp(logits - logits.max())
    ref /= ref.sum()
    check(np.abs(p - ref).max() < 1e-7, "softmax")
    top = vision.topk(p, 5)
    check([c for c, _ in top] == list(np.argsort(-p, kind="stable")[:5]), "top-5 order")
    # refusals carry a message
    try:
        vision.preprocess(img, 0, 10)
        check(False, "a 0-wide output is refused")
    except vision.VisionError as e:
        check("output size" in str(e), "message: %s" % e)
    refusals(rng)
    print("vision: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
