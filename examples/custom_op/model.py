"""The model of the custom-operator example: RMSNorm (not in PyTorch 1.13) kept as the custom
operator demo::rms_norm, whose kernel is rms_norm_kernel.c."""
import torch


class RMSNorm(torch.nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.ones(dim))
        self.register_buffer("eps", torch.tensor(eps))  # a buffer: the operator receives it as a tensor

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class RMSNet(torch.nn.Module):
    def __init__(self, dim=16, classes=4):
        super().__init__()
        self.proj = torch.nn.Linear(dim, dim)
        self.norm = RMSNorm(dim)
        self.head = torch.nn.Linear(dim, classes)

    def forward(self, x):
        return self.head(self.norm(torch.relu(self.proj(x))))


def build(seed=0):
    torch.manual_seed(seed)
    m = RMSNet().eval()
    with torch.no_grad():
        m.norm.weight.add_(0.1 * torch.randn(16))
    return m
