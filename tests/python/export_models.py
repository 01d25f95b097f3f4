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


class NeedsCumsum(torch.nn.Module):
    def forward(self, x):
        return torch.cumsum(x, 0)
