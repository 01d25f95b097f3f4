"""A detector that really detects: scenes of real handwritten digits (sklearn's 8x8 digits, scaled 2-4x
and placed 1-5 per picture on a noisy 96 x 96 canvas) with their boxes, and a small YOLO-style model
trained on them on the CPU. Its output is the YOLOv8 layout, [1, 4 + 10, 144]: for each cell of a
12 x 12 grid (stride 8), the box center, width and height in input pixels and ten class scores
(sigmoid), so `petite detect --format yolov8` decodes it.

    /usr/bin/python3 examples/detector/digits_detector.py OUT_DIR [--epochs N] [--scenes N] [--threads N (1)]

writes OUT_DIR/digits_detector.pt (the whole module), digit_labels.txt, held-out scenes
scene_<i>.png with their boxes in scenes.json, and reports the held-out mAP@0.5 of eager PyTorch
(decoded by petite's own decoder and NMS). Fixed seeds; the training time is printed."""
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path[:0] = [ROOT, os.path.join(ROOT, "python")]

SIZE, STRIDE, GRID, NCLS, ANCHOR = 96, 8, 12, 10, 24.0


def digit_sets():
    from sklearn.datasets import load_digits
    d = load_digits()
    imgs, tgts = d.images.astype(np.float32) / 16.0, d.target.astype(np.int64)
    return (imgs[:1400], tgts[:1400]), (imgs[1400:], tgts[1400:])  # held-out scenes use unseen digits


def make_scenes(n, digits, seed):
    """n scenes: float32 [n, 3, 96, 96] in 0..1 and per scene a list of (x1, y1, x2, y2, class)."""
    rng = np.random.default_rng(seed)
    imgs, tgts = digits
    x = np.zeros((n, 3, SIZE, SIZE), np.float32)
    boxes = []
    for i in range(n):
        bg = rng.uniform(0.0, 0.35, 3).astype(np.float32)
        canvas = bg[:, None, None] + rng.normal(0, 0.06, (3, SIZE, SIZE)).astype(np.float32)
        placed = []
        for _ in range(rng.integers(1, 6)):
            for _try in range(20):
                k = int(rng.integers(len(imgs)))
                s = int(rng.integers(2, 5))
                d = np.kron(imgs[k], np.ones((s, s), np.float32))  # 16..32 px
                ys, xs = np.nonzero(d > 0.15)
                x0, y0 = int(rng.integers(0, SIZE - d.shape[1] + 1)), int(rng.integers(0, SIZE - d.shape[0] + 1))
                b = (x0 + xs.min(), y0 + ys.min(), x0 + xs.max() + 1, y0 + ys.max() + 1)
                if all(b[2] <= p[0] or b[0] >= p[2] or b[3] <= p[1] or b[1] >= p[3] for p in placed):
                    color = rng.uniform(0.6, 1.0, 3).astype(np.float32)
                    region = canvas[:, y0:y0 + d.shape[0], x0:x0 + d.shape[1]]
                    canvas[:, y0:y0 + d.shape[0], x0:x0 + d.shape[1]] = np.maximum(region, color[:, None, None] * d)
                    placed.append(b + (int(tgts[k]),))
                    break
        x[i] = np.clip(canvas, 0, 1)
        boxes.append([tuple(float(v) for v in b[:4]) + (b[4],) for b in placed])
    return x, boxes


def block(ci, co, s):
    return nn.Sequential(nn.Conv2d(ci, co, 3, s, 1, bias=False), nn.BatchNorm2d(co), nn.ReLU())


class DigitsDetector(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(block(3, 16, 2), block(16, 32, 2), block(32, 64, 2), block(64, 64, 1), block(64, 96, 1))
        self.box, self.cls = nn.Conv2d(96, 4, 1), nn.Conv2d(96, NCLS, 1)
        self.cells, self.ncls, self.stride, self.anchor = GRID * GRID, NCLS, float(STRIDE), ANCHOR
        gy, gx = torch.meshgrid(torch.arange(GRID, dtype=torch.float32), torch.arange(GRID, dtype=torch.float32),
                                indexing="ij")
        self.register_buffer("grid", torch.stack([gx, gy]).reshape(1, 2, GRID * GRID))

    def raw(self, x: torch.Tensor):
        f = self.body(x)
        return self.box(f).reshape(-1, 4, self.cells), self.cls(f).reshape(-1, self.ncls, self.cells)

    def decode(self, b: torch.Tensor):
        """cx, cy = (cell + 2 sigmoid - 0.5) * stride; w, h = (2 sigmoid)^2 * 24 (YOLOv5's decode)"""
        s = torch.sigmoid(b)
        xy = (self.grid + s[:, :2] * 2.0 - 0.5) * self.stride
        wh = (s[:, 2:] * 2.0) ** 2 * self.anchor
        return torch.cat([xy, wh], 1)

    def forward(self, x):
        b, c = self.raw(x)
        return torch.cat([self.decode(b), torch.sigmoid(c)], 1)  # [N, 14, 144]


def targets(boxes):
    """per scene: positive cells (the center's cell and its two nearest neighbors, as YOLOv5) with
    their box (cx, cy, w, h) and class"""
    out = []
    for bs in boxes:
        cells = {}
        for (x1, y1, x2, y2, c) in bs:
            cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
            gx, gy = int(cx // STRIDE), int(cy // STRIDE)
            fx, fy = cx / STRIDE - gx, cy / STRIDE - gy
            for dx, dy in ((0, 0), (-1 if fx < 0.5 else 1, 0), (0, -1 if fy < 0.5 else 1)):
                x, y = gx + dx, gy + dy
                if 0 <= x < GRID and 0 <= y < GRID:
                    cells[y * GRID + x] = (cx, cy, x2 - x1, y2 - y1, c)
        out.append(cells)
    return out


def giou_loss(p, t):
    p1, p2 = p[:, :2] - p[:, 2:] / 2, p[:, :2] + p[:, 2:] / 2
    t1, t2 = t[:, :2] - t[:, 2:] / 2, t[:, :2] + t[:, 2:] / 2
    inter = (torch.min(p2, t2) - torch.max(p1, t1)).clamp(min=0).prod(1)
    union = p[:, 2:].prod(1) + t[:, 2:].prod(1) - inter
    hull = (torch.max(p2, t2) - torch.min(p1, t1)).prod(1)
    iou = inter / union
    return (1 - iou + (hull - union) / hull).mean()


def train(model, x, boxes, epochs, batch=64, seed=0):
    torch.manual_seed(seed)
    tg = targets(boxes)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    steps = epochs * ((len(x) + batch - 1) // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
    xt = torch.from_numpy(x)
    bce = nn.BCEWithLogitsLoss(reduction="sum")
    model.train()
    t0 = time.time()
    for ep in range(epochs):
        perm = torch.randperm(len(x))
        total = 0.0
        for s in range(0, len(x), batch):
            idx = perm[s:s + batch]
            rb, rc = model.raw(xt[idx])
            pb = model.decode(rb)
            cls_t = torch.zeros_like(rc)
            pi, pc, tb = [], [], []
            for j, i in enumerate(idx.tolist()):
                for cell, (cx, cy, w, h, c) in tg[i].items():
                    pi.append(j), pc.append(cell), tb.append((cx, cy, w, h))
                    cls_t[j, c, cell] = 1.0
            loss = bce(rc, cls_t) / max(len(pi), 1)
            if pi:
                pred = pb[torch.tensor(pi), :, torch.tensor(pc)]
                loss = loss + 5.0 * giou_loss(pred, torch.tensor(tb))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss) * len(idx)
        spent = time.time() - t0
        print("  epoch %d/%d: loss %.4f (%.0f s, about %.0f s left)" % (ep + 1, epochs, total / len(x), spent,
                                                                      spent / (ep + 1) * (epochs - ep - 1)), flush=True)
    model.eval()
    return model


def average_precision(dets, gts, iou_thr=0.5):
    """mAP@0.5 over the classes present (all-point interpolated AP, VOC 2010+). dets: per scene a list of
    (x1, y1, x2, y2, score, class); gts: per scene a list of (x1, y1, x2, y2, class)."""
    aps = []
    for c in range(NCLS):
        recs = [(s, i, d) for i, ds in enumerate(dets) for d in ds if d[5] == c for s in [d[4]]]
        npos = sum(1 for g in gts for b in g if b[4] == c)
        if npos == 0:
            continue
        recs.sort(key=lambda r: -r[0])
        used = [set() for _ in gts]
        tp = []
        for _, i, d in recs:
            best, bj = 0.0, -1
            for j, g in enumerate(gts[i]):
                if g[4] != c or j in used[i]:
                    continue
                iw = min(d[2], g[2]) - max(d[0], g[0])
                ih = min(d[3], g[3]) - max(d[1], g[1])
                inter = max(iw, 0) * max(ih, 0)
                u = (d[2] - d[0]) * (d[3] - d[1]) + (g[2] - g[0]) * (g[3] - g[1]) - inter
                if u > 0 and inter / u > best:
                    best, bj = inter / u, j
            if best >= iou_thr:
                used[i].add(bj)
                tp.append(1)
            else:
                tp.append(0)
        tp = np.array(tp, np.float64)
        ctp = np.cumsum(tp)
        rec = ctp / npos
        prec = ctp / np.arange(1, len(tp) + 1) if len(tp) else np.zeros(0)
        mrec = np.concatenate([[0.0], rec, [1.0]])
        mpre = np.concatenate([[0.0], prec, [0.0]])
        for k in range(len(mpre) - 2, -1, -1):
            mpre[k] = max(mpre[k], mpre[k + 1])
        idx = np.nonzero(mrec[1:] != mrec[:-1])[0]
        aps.append(float(np.sum((mrec[idx + 1] - mrec[idx]) * mpre[idx + 1])))
    return float(np.mean(aps)) if aps else 0.0


def decode_all(outputs, conf=0.01, iou=0.5):
    """petite's decoder + NMS (libpetite_vision) on [N, 14, 144] outputs"""
    from petite import vision
    return [vision.detect([o[None]], "yolov8", conf=conf, iou=iou, max_detections=100) for o in outputs]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else "."
    epochs = int(sys.argv[sys.argv.index("--epochs") + 1]) if "--epochs" in sys.argv else 14
    nscenes = int(sys.argv[sys.argv.index("--scenes") + 1]) if "--scenes" in sys.argv else 6000
    os.makedirs(out, exist_ok=True)
    # one thread: the small convolutions gain little from a second, and OpenMP workers that spin on a
    # busy machine burned 5-10x the CPU time for it
    torch.set_num_threads(int(sys.argv[sys.argv.index("--threads") + 1]) if "--threads" in sys.argv else 1)
    tr_digits, te_digits = digit_sets()
    t0 = time.time()
    x, boxes = make_scenes(nscenes, tr_digits, seed=1)
    xv, bv = make_scenes(300, te_digits, seed=2)
    xv = np.round(xv * 255) / np.float32(255)  # as 8-bit pictures hold them
    model = train(DigitsDetector(), x, boxes, epochs)
    t_train = time.time() - t0
    with torch.no_grad():
        yv = model(torch.from_numpy(xv)).numpy()
    m = average_precision(decode_all(yv), bv)
    print("digits detector: %d epochs on %d scenes in %.0f s; held-out mAP@0.5 (eager, petite's decoder) %.3f"
          % (epochs, nscenes, t_train, m))
    torch.jit.script(model).save(os.path.join(out, "digits_detector.pt"))  # loads without this file's class
    with open(os.path.join(out, "digit_labels.txt"), "w") as f:
        f.write("".join("digit %d\n" % i for i in range(NCLS)))
    np.save(os.path.join(out, "heldout_scenes.npy"), xv)
    from PIL import Image
    scenes = []
    for i in range(8):
        p = os.path.join(out, "scene_%d.png" % i)
        Image.fromarray((xv[i].transpose(1, 2, 0) * 255 + 0.5).astype(np.uint8)).save(p)
        scenes.append({"image": os.path.basename(p), "boxes": [list(b) for b in bv[i]]})
    with open(os.path.join(out, "scenes.json"), "w") as f:
        json.dump({"heldout_boxes": bv, "eager_map50": m, "train_seconds": t_train, "epochs": epochs, "pngs": scenes},
                  f, indent=1)


if __name__ == "__main__":
    main()
