"""Small modules for tests/python/test_export_cli.py (importable, so they pickle)."""
import torch


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(4, 3)

    def forward(self, x):
        return torch.softmax(self.fc(x), -1)


class TwoInputs(torch.nn.Module):
    def forward(self, x, ids):
        return x.sum(-1) + ids.float()


class NeedsAtan2(torch.nn.Module):
    """an operator the runtime has no kernel for (atan2)"""

    def forward(self, x):
        return torch.atan2(x, x + 1)


class Embed(torch.nn.Module):
    """token ids in: exported without --input-dtypes it must say to pass int64"""

    def __init__(self):
        super().__init__()
        self.e = torch.nn.Embedding(10, 4)

    def forward(self, ids):
        return self.e(ids)


class InstNorm(torch.nn.Module):
    """InstanceNorm2d in an eval() model normalizes with its input's statistics (not training mode)"""

    def __init__(self):
        super().__init__()
        self.c, self.n = torch.nn.Conv2d(3, 4, 3), torch.nn.InstanceNorm2d(4, affine=True)

    def forward(self, x):
        return self.n(self.c(x))
