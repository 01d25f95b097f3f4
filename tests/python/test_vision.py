"""petite_vision (through its ctypes binding) against PyTorch and torchvision as references:
- bilinear resizing against torch.nn.functional.interpolate(align_corners=False, antialias=False), up and
  down, and "area" against mode="area", within 2e-3 of a 0..255 pixel;
- the classification recipe (Resize(256) + CenterCrop(224) + Normalize) against torchvision.transforms on
  the same tensor, within 1e-4 of a normalized value per 1/255;
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


def main():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    t = torch.from_numpy(img).permute(2, 0, 1)[None].float()
    for (w, h) in ((20, 15), (53, 37), (80, 61), (7, 30)):
        got = raw(img, w, h, fit="stretch")
        want = F.interpolate(t, size=(h, w), mode="bilinear", align_corners=False)[0].numpy()
        err = np.abs(got - want).max()
        check(err <= 2e-3, "bilinear %dx%d: max error %g" % (w, h, err))
        got = raw(img, w, h, fit="stretch", interp="area")
        want = F.interpolate(t, size=(h, w), mode="area")[0].numpy()
        err = np.abs(got - want).max()
        check(err <= 2e-3, "area %dx%d: max error %g" % (w, h, err))
    # the ImageNet recipe on a larger picture
    big = rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)
    tb = torch.from_numpy(big).permute(2, 0, 1).float() / 255.0
    tr = T.Compose([T.Resize(256, antialias=False), T.CenterCrop(224),
                    T.Normalize((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))])
    want = tr(tb).numpy()
    got, tf = vision.preprocess(big, 224, 224)
    err = np.abs(got[0] - want).max()
    check(err <= 1e-4 * 255 / 0.225 / 255 * 2, "Resize(256) + CenterCrop(224) + Normalize: max error %g" % err)
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
    print("vision: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
