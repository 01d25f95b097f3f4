"""The petite model zoo: small, seeded models that cover what real apps export.

Every class here is built from PyTorch primitives only; torchvision models come from
torchvision.models with random weights (no downloads)."""
import torch
import torch.nn as nn
import torch.nn.functional as F


def reestimate_bn(model, shape, batches=6, batch=4, seed=0):
    """Random weights leave BatchNorm's running statistics at mean 0, variance 1, so activations
    shrink layer after layer (logits of 1e-9 to 1e-20, denormal floats inside): numbers no real model
    has, which neither validate anything nor time like a real model. Re-estimate the statistics with
    a few train-mode passes over random inputs (cumulative average), then return to eval mode."""
    g = torch.Generator().manual_seed(seed)
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    model.train()
    with torch.no_grad():
        for _ in range(batches):
            model(torch.randn((batch,) + tuple(shape[1:]), generator=g))
    model.eval()
    return model


class DigitsCNN(nn.Module):
    """8x8 handwritten digits (sklearn's data set) -> 10 classes. Trained by zoo/build_zoo.py."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(32)
        self.fc1 = nn.Linear(32 * 4 * 4, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):  # x: [N, 1, 8, 8] in [0, 1]
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)   # [N, 32, 4, 4]
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))  # [N, 10]


class TextTransformer(nn.Module):
    """Token ids int64 [1, 128] -> 4 classes: embedding + learned positions, 4 encoder layers
    (hidden 256, 4 heads), mean pool, linear."""

    def __init__(self, vocab=1000, dim=256, layers=4, heads=4, seq=128, classes=4):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.pos = nn.Parameter(torch.randn(1, seq, dim) * 0.02)
        layer = nn.TransformerEncoderLayer(dim, heads, dim_feedforward=2 * dim, dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers)
        self.head = nn.Linear(dim, classes)

    def forward(self, ids):  # [1, 128] int64
        x = self.embed(ids) + self.pos
        return self.head(self.encoder(x).mean(dim=1))


class LSTMText(nn.Module):
    """Token ids int64 [1, 32] -> 4 classes through a 2-layer LSTM (unrolled at capture)."""

    def __init__(self, vocab=1000, dim=64, hidden=128, classes=4):
        super().__init__()
        self.embed = nn.Embedding(vocab, dim)
        self.lstm = nn.LSTM(dim, hidden, num_layers=2, batch_first=True)
        self.head = nn.Linear(hidden, classes)

    def forward(self, ids):
        out, _ = self.lstm(self.embed(ids))
        return self.head(out[:, -1])


def conv_bn_silu(cin, cout, k=3, s=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, s, k // 2, bias=False), nn.BatchNorm2d(cout), nn.SiLU())


class TinyYOLO(nn.Module):
    """A small YOLO-style detector: conv/BN/SiLU backbone at strides 8/16/32, a top-down path
    with nearest upsampling and concatenation, three 1x1 heads of 3 anchors x (5 + classes).
    Returns raw head maps; decoding and NMS stay outside the graph."""

    def __init__(self, classes=20, width=16):
        super().__init__()
        w = width
        self.stem = nn.Sequential(conv_bn_silu(3, w, 3, 2), conv_bn_silu(w, 2 * w, 3, 2))        # /4
        self.c3 = nn.Sequential(conv_bn_silu(2 * w, 4 * w, 3, 2), conv_bn_silu(4 * w, 4 * w))   # /8
        self.c4 = nn.Sequential(conv_bn_silu(4 * w, 8 * w, 3, 2), conv_bn_silu(8 * w, 8 * w))   # /16
        self.c5 = nn.Sequential(conv_bn_silu(8 * w, 16 * w, 3, 2), conv_bn_silu(16 * w, 16 * w, 1))  # /32
        self.lat5 = conv_bn_silu(16 * w, 8 * w, 1)
        self.fuse4 = conv_bn_silu(16 * w, 8 * w)
        self.lat4 = conv_bn_silu(8 * w, 4 * w, 1)
        self.fuse3 = conv_bn_silu(8 * w, 4 * w)
        n = 3 * (5 + classes)
        self.head3, self.head4, self.head5 = nn.Conv2d(4 * w, n, 1), nn.Conv2d(8 * w, n, 1), nn.Conv2d(16 * w, n, 1)

    def forward(self, x):
        p3 = self.c3(self.stem(x))
        p4 = self.c4(p3)
        p5 = self.c5(p4)
        t4 = self.fuse4(torch.cat([F.interpolate(self.lat5(p5), scale_factor=2.0, mode="nearest"), p4], 1))
        t3 = self.fuse3(torch.cat([F.interpolate(self.lat4(t4), scale_factor=2.0, mode="nearest"), p3], 1))
        return self.head3(t3), self.head4(t4), self.head5(p5)


class SSDLiteHeads(nn.Module):
    """torchvision's ssdlite320_mobilenet_v3_large without its transform and NMS: backbone
    features -> (box regression, class logits)."""

    def __init__(self):
        super().__init__()
        from torchvision.models.detection import ssdlite320_mobilenet_v3_large
        m = ssdlite320_mobilenet_v3_large(weights=None, weights_backbone=None, num_classes=91)
        self.backbone, self.head = m.backbone, m.head

    def forward(self, x):  # [1, 3, 320, 320]
        feats = list(self.backbone(x).values())
        out = self.head(feats)
        return out["bbox_regression"], out["cls_logits"]


class DSConv(nn.Module):
    """Depthwise 3x3 + BN + ReLU, pointwise 1x1 + BN + ReLU (no conv biases)."""

    def __init__(self, ch):
        super().__init__()
        self.depthwise = nn.Conv2d(ch, ch, 3, padding=1, groups=ch, bias=False)
        self.depthwise_bn = nn.BatchNorm2d(ch)
        self.pointwise = nn.Conv2d(ch, ch, 1, bias=False)
        self.pointwise_bn = nn.BatchNorm2d(ch)

    def forward(self, x):
        x = F.relu(self.depthwise_bn(self.depthwise(x)))
        return F.relu(self.pointwise_bn(self.pointwise(x)))


class DSCNNKWS(nn.Module):
    """The MLPerf Tiny keyword-spotting DS-CNN (MFCC [1, 1, 49, 10] -> 12 labels), laid out so the
    trained state dict in shared/conformance/files/cortex_m_int8_keyword_spotting.model.pth loads:
    conv 64 (10x4, stride 2, padding 5x1) + BN + ReLU, four depthwise-separable blocks, average
    pool 24x5, linear 64 -> 12."""

    def __init__(self, num_classes=12):
        super().__init__()
        self.feature_extractor = nn.Sequential(
            nn.Conv2d(1, 64, (10, 4), stride=(2, 2), padding=(5, 1), bias=False),
            nn.BatchNorm2d(64), nn.ReLU(), nn.Dropout(0.2),
            DSConv(64), DSConv(64), DSConv(64), DSConv(64), nn.Dropout(0.4))
        self.pool = nn.AvgPool2d((24, 5))
        self.classifier = nn.Linear(64, num_classes)

    def forward(self, x):
        return self.classifier(torch.flatten(self.pool(self.feature_extractor(x)), 1))


KWS_LABELS = ["silence", "unknown", "yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"]
