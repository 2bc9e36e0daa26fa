"""Makes the exporter's activation models in DIR: seq.pt, an nn.Sequential
with each activation module that has parameters (given and default), two
in a row; traced.py:make, a module whose forward() calls the functional
forms; inplace.py:make, the same in place; discarded.py:make, in place
with the results dropped; x.npy (a batch of 9, with values that reach the
activations' bends and tails) and PyTorch's outputs of each, NAME.npy; and
bad.py, modules whose parameters tp-mlir cannot take."""
import os
import sys

import numpy as np
import torch
import torch.nn as nn

out = sys.argv[1]
torch.manual_seed(11)
seq = nn.Sequential(
    nn.Linear(6, 7), nn.LeakyReLU(0.2),
    nn.Linear(7, 5), nn.ELU(alpha=0.5),
    nn.Linear(5, 7), nn.SELU(),
    nn.Linear(7, 6), nn.Softplus(beta=2.0, threshold=1.5),
    nn.Linear(6, 5), nn.Mish(),
    nn.Linear(5, 7), nn.Hardtanh(-0.5, 0.75),
    nn.Linear(7, 6), nn.ReLU6(),
    nn.Linear(6, 5), nn.Hardsigmoid(), nn.LeakyReLU(),
    nn.Linear(5, 7), nn.Hardswish(),
    nn.Linear(7, 3), nn.Softplus(), nn.ELU(),
).eval()
# Weights and inputs large enough that every activation sees both sides
# of its bends (ReLU6's 6, Hardswish's -3 and 3, Softplus's threshold).
with torch.no_grad():
    for m in seq:
        if isinstance(m, nn.Linear):
            m.weight.mul_(4.0)
x = torch.randn(9, 6) * 3
with torch.no_grad():
    np.save(os.path.join(out, "seq.npy"), seq(x).numpy().astype(np.float32))
torch.save(seq, os.path.join(out, "seq.pt"))
np.save(os.path.join(out, "x.npy"), x.numpy().astype(np.float32))


def write_model(name, source):
    """Writes `source` to NAME.py and PyTorch's output of its make() on x to
    NAME.npy."""
    with open(os.path.join(out, name + ".py"), "w") as f:
        f.write(source)
    scope = {}
    exec(source, scope)
    with torch.no_grad():
        y = scope["make"]()(x)
    np.save(os.path.join(out, name + ".npy"), y.numpy().astype(np.float32))


TRACED = '''
import torch
import torch.nn as nn
import torch.nn.functional as F


class Functional(nn.Module):
    def __init__(self):
        super().__init__()
        # The same weights in the exporter's process as in this one.
        torch.manual_seed(5)
        self.fc = nn.ModuleList(nn.Linear(6 if i == 0 else 8, 8)
                                for i in range(6))
        self.out = nn.Linear(8, 4)
        with torch.no_grad():
            for fc in self.fc:
                fc.weight.mul_(4.0)

    def forward(self, x):
        x = F.leaky_relu(self.fc[0](x), 0.1)
        x = F.elu(self.fc[1](x), alpha=2.0)
        x = F.softplus(self.fc[2](x), 0.5, 10)
        x = F.relu6(self.fc[3](x))
        x = F.hardtanh(self.fc[4](x), min_val=-1.5, max_val=2.5)
        x = torch.selu(F.mish(self.fc[5](x)))
        x = F.hardswish(F.hardsigmoid(x))
        return F.selu(self.out(x))


def make():
    return Functional().eval()
'''
write_model("traced", TRACED)

# The in-place forms, functions and modules, compute what the others do.
INPLACE = '''
import torch
import torch.nn as nn
import torch.nn.functional as F


class InPlace(nn.Module):
    def __init__(self):
        super().__init__()
        # The same weights in the exporter's process as in this one.
        torch.manual_seed(12)
        widths = [6, 7, 5, 7, 6, 5, 7]
        self.fc = nn.ModuleList(nn.Linear(a, b)
                                for a, b in zip(widths, widths[1:]))
        self.out = nn.Linear(7, 3)
        self.six = nn.ReLU6(inplace=True)
        self.leaky = nn.LeakyReLU(0.05, inplace=True)

    def forward(self, x):
        x = F.elu_(self.fc[0](x), 0.7)
        x = F.leaky_relu_(self.fc[1](x), negative_slope=0.3)
        x = F.hardtanh_(self.fc[2](x), -2.0, 2.5)
        x = torch.selu_(self.fc[3](x))
        x = self.six(self.fc[4](x)).sigmoid_()
        x = self.leaky(torch.tanh_(F.relu_(self.fc[5](x))))
        return F.elu(self.out(x), alpha=1.5, inplace=True)


def make():
    model = InPlace().eval()
    with torch.no_grad():
        for linear in list(model.fc) + [model.out]:
            linear.weight.mul_(4.0)
    return model
'''
write_model("inplace", INPLACE)

# The same with the in-place results dropped: forward() goes on with the
# value each step overwrote, or a view of it.
DISCARDED = '''
import torch
import torch.nn as nn
import torch.nn.functional as F


class Discarded(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(13)
        widths = [6, 7, 5, 7, 6, 6]
        self.fc = nn.ModuleList(nn.Linear(a, b)
                                for a, b in zip(widths, widths[1:]))
        self.out = nn.Linear(6, 3)
        self.leaky = nn.LeakyReLU(0.05, inplace=True)

    def forward(self, x):
        h = self.fc[0](x)
        F.relu_(h)
        h = self.fc[1](h)
        self.leaky(h)
        h.tanh_()
        h = self.fc[2](h)
        F.elu(h, 0.7, True)
        h = self.fc[3](h)
        v = h.view(-1, 6)
        torch.sigmoid_(v)
        h = self.out(self.fc[4](h))
        F.hardtanh(h, -0.5, 0.5, inplace=True)
        return h


def make():
    model = Discarded().eval()
    with torch.no_grad():
        for linear in list(model.fc) + [model.out]:
            linear.weight.mul_(4.0)
    return model
'''
write_model("discarded", DISCARDED)

with open(os.path.join(out, "bad.py"), "w") as f:
    f.write('''
import torch
import torch.nn as nn
import torch.nn.functional as F


def infinite_slope():
    return nn.Sequential(nn.Linear(3, 3), nn.LeakyReLU(float("inf")))


def negative_beta():
    return nn.Sequential(nn.Linear(3, 3), nn.Softplus(beta=-1.0))


def huge_slope():
    return nn.Sequential(nn.Linear(3, 3), nn.LeakyReLU(1e39))


def tiny_beta():
    return nn.Sequential(nn.Linear(3, 3), nn.Softplus(beta=1e-46))


def close_bounds():
    return nn.Sequential(nn.Linear(3, 3), nn.Hardtanh(1.0, 1.00000001))


class TensorSlope(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 3)
        self.slope = nn.Parameter(torch.tensor(0.1))

    def forward(self, x):
        return F.leaky_relu(self.fc(x), self.slope)


def tensor_slope():
    return TensorSlope()


class Stale(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 3)
        self.out = nn.Linear(3, 3)

    def forward(self, x):
        h = self.fc(x)
        a = F.relu(h)
        torch.tanh_(h)
        return self.out(a)


def stale():
    return Stale()
''')
