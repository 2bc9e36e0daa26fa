"""Makes the traced-export test's files in DIR: traced.py (modules that are
not an nn.Sequential: a chain written in forward() with modules, functions,
tensor methods, F.linear of the module's own parameters, dropout and
reshapes that keep a 2-D input, and modules that are not chains), trained.pt
(the state_dict of the chain after a few steps of training), xt.npy (a
batch of 5) and traced.npy (PyTorch's output for it), x4.npy and
twice.npy (the same for a module that calls one Linear twice), whole.pt (the trained
module saved whole, whose class the exporter cannot import) and
damaged.pt."""
import os
import sys

import numpy as np
import torch

out = sys.argv[1]
SOURCE = '''
import torch
import torch.nn as nn
import torch.nn.functional as F


class Chain(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(12, 10)
        self.act = nn.GELU()
        self.block = nn.Sequential(nn.Linear(10, 9), nn.SiLU())
        self.w = nn.Parameter(torch.randn(7, 9) * 0.3)
        self.b = nn.Parameter(torch.randn(7) * 0.1)
        self.fc3 = nn.Linear(7, 5, bias=False)
        self.out = nn.Linear(5, 4)

    def forward(self, x):
        x = x.view(x.size(0), -1)
        x = self.act(self.fc1(x))
        x = F.dropout(x, 0.2, self.training)
        x = self.block(x)
        x = torch.tanh(F.linear(x, self.w, self.b))
        x = F.relu(self.fc3(x)).reshape(-1, 5)
        x = F.gelu(self.out(x), approximate="tanh")
        return torch.flatten(x.sigmoid(), 1)


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return x + self.fc(x)


class TwoInputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x, y):
        return self.fc(x) * y


class Scaled(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return 2 * self.fc(x)


class Branching(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        if x.sum() > 0:
            return self.fc(x)
        return x


class Hooked(Chain):
    def __init__(self):
        super().__init__()
        self.fc1.register_forward_hook(lambda mod, i, o: o * 2)


class BadBias(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(7, 4))
        self.register_buffer("b", torch.zeros(3))

    def forward(self, x):
        return F.linear(x, self.w, self.b)


class Twice(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return self.fc(torch.tanh(self.fc(x)))


def twice():
    torch.manual_seed(5)
    return Twice()


class EvalBranch(nn.Module):
    """At inference, a sigmoid on the output; in training, none."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        x = self.fc(F.dropout(torch.relu(x), 0.3, self.training))
        if not self.training:
            x = torch.sigmoid(x)
        return x


def spectral():
    """A weight that spectral_norm computes: in training mode each read
    runs a step of power iteration (at 64 features, 15 steps at creation
    have not converged); at inference it does not."""
    torch.manual_seed(9)
    return nn.Sequential(
        nn.utils.parametrizations.spectral_norm(nn.Linear(64, 64)),
        nn.Tanh())


def eval_branch():
    torch.manual_seed(6)
    return EvalBranch().train()


class AlwaysDropout(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return F.dropout(self.fc(x), 0.5)


class Patched(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.fc.forward = lambda x: nn.Linear.forward(self.fc, x) * 2

    def forward(self, x):
        return self.fc(x)


def hooked_identity():
    identity = nn.Identity()
    identity.register_forward_hook(lambda m, i, o: o * 2)
    return nn.Sequential(nn.Linear(4, 5), identity, nn.Linear(5, 3))


class BatchForms(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(12, 6)
        self.fc2 = nn.Linear(6, 3)

    def forward(self, x):
        x = x.view(x.shape[0], -1).reshape(x.size()[0], 12)
        x = torch.relu(self.fc1(x)).view(x.size(dim=0), 6)
        return F.softmax(self.fc2(x).view(x.size(-2), -1), dim=1)


class Reshaped(nn.Module):
    """A layer whose output is reshaped to (batch(self, y), -1)."""
    def __init__(self, batch):
        super().__init__()
        self.fc = nn.Linear(4, 6)
        self.batch = batch

    def forward(self, x):
        y = self.fc(x)
        return y.view(self.batch(self, y), -1)


def transposed():
    return Reshaped(lambda m, y: y.size(1))


def by_rank():
    return Reshaped(lambda m, y: y.dim())


def by_weight():
    return Reshaped(lambda m, y: m.fc.weight.size(0))


class Images(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(12, 4)

    def forward(self, x):
        return self.fc(x.view(-1, 3, 4).flatten(1))


if __name__ == "__main__":
    raise SystemExit("the training part of the script ran")
'''
with open(os.path.join(out, "traced.py"), "w") as f:
    f.write(SOURCE)
# The classes are this script's (__main__'s), as in a training script, so
# whole.pt names a class that the exporter cannot import.
exec(compile(SOURCE.split('\nif __name__ == "__main__":')[0], "traced.py",
             "exec"), globals())

torch.manual_seed(3)
model = Chain()  # noqa: F821
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
data, target = torch.randn(64, 12), torch.rand(64, 4)
for _ in range(20):
    optimizer.zero_grad()
    loss = torch.nn.functional.mse_loss(model(data), target)
    loss.backward()
    optimizer.step()
model.eval()
torch.save(model.state_dict(), os.path.join(out, "trained.pt"))
x = torch.randn(5, 12)
with torch.no_grad():
    y = model(x)
np.save(os.path.join(out, "xt.npy"), x.numpy().astype(np.float32))
forms = BatchForms().eval()  # noqa: F821
with torch.no_grad():
    np.save(os.path.join(out, "forms.npy"), forms(x).numpy())
torch.save(forms.state_dict(), os.path.join(out, "forms.pt"))
np.save(os.path.join(out, "traced.npy"), y.numpy().astype(np.float32))
torch.save(model, os.path.join(out, "whole.pt"))
# A model whose class lives in a package that the exporter cannot import.
os.makedirs(os.path.join(out, "pkg"), exist_ok=True)
with open(os.path.join(out, "pkg", "mymodels.py"), "w") as f:
    f.write("import torch.nn as nn\n"
            "class Net(nn.Sequential):\n"
            "    pass\n")
sys.path.insert(0, os.path.join(out, "pkg"))
import mymodels  # noqa: E402
torch.save(mymodels.Net(torch.nn.Linear(2, 2)), os.path.join(out, "pkg.pt"))
# A training script that parses its arguments, imports a sibling file,
# and names a class Linear (as the exporter names one of its own), and the
# whole model it saved.
with open(os.path.join(out, "layers.py"), "w") as f:
    f.write("WIDTH = 5\n")
TRAIN = ("import argparse\n"
         "import torch.nn as nn\n"
         "from layers import WIDTH\n"
         "class Linear(nn.Module):\n"
         "    def __init__(self, n, k):\n"
         "        super().__init__()\n"
         "        self.inner = nn.Linear(k, n)\n"
         "    def forward(self, x):\n"
         "        return self.inner(x)\n"
         "class Net(nn.Module):\n"
         "    def __init__(self):\n"
         "        super().__init__()\n"
         "        self.a = Linear(WIDTH, 4)\n"
         "        self.b = nn.Linear(5, 3)\n"
         "    def forward(self, x):\n"
         "        return self.b(self.a(x).tanh())\n"
         "args = argparse.ArgumentParser().parse_args()\n")
with open(os.path.join(out, "train.py"), "w") as f:
    f.write(TRAIN)
sys.path.insert(0, out)
exec(compile(TRAIN.replace("args = argparse.ArgumentParser().parse_args()\n",
                           ""), "train.py", "exec"), globals())
torch.manual_seed(8)
net = Net().train()  # noqa: F821
torch.save(net, os.path.join(out, "net.pt"))
x4n = torch.randn(3, 4)
with torch.no_grad():
    np.save(os.path.join(out, "net.npy"),
            net.eval()(x4n).numpy().astype(np.float32))
np.save(os.path.join(out, "x4n.npy"), x4n.numpy().astype(np.float32))
with open(os.path.join(out, "called.py"), "w") as f:
    f.write("import torch.nn as nn\n"
            "class Doubled(nn.Linear):\n"
            "    def __call__(self, x):\n"
            "        return super().__call__(x) * 2\n"
            "def make():\n"
            "    return nn.Sequential(Doubled(4, 3), nn.ReLU())\n")
with open(os.path.join(out, "exits.py"), "w") as f:
    f.write("import sys\nsys.exit(0)\n")
x4 = torch.randn(3, 4)
with torch.no_grad():
    y4 = twice()(x4)  # noqa: F821
np.save(os.path.join(out, "x4.npy"), x4.numpy().astype(np.float32))
np.save(os.path.join(out, "twice.npy"), y4.numpy().astype(np.float32))
x64 = torch.randn(3, 64)
np.save(os.path.join(out, "x64.npy"), x64.numpy().astype(np.float32))
with torch.no_grad():
    np.save(os.path.join(out, "spectral.npy"),
            spectral().eval()(x64).numpy().astype(np.float32))  # noqa: F821
branch = eval_branch().eval()  # noqa: F821
with torch.no_grad():
    np.save(os.path.join(out, "branch.npy"),
            branch(x4).numpy().astype(np.float32))
# A class of the user's that shares torch's name (its forward is traced,
# not read as torch's LeakyReLU), a FILE.py:NAME that returns an
# nn.DataParallel, and a weight transposed in forward().
NAMED = '''import torch
import torch.nn as nn
import torch.nn.functional as F


class LeakyReLU(nn.Module):
    def forward(self, x):
        return F.leaky_relu(x, 0.1)


class Transposed(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(4, 3))

    def forward(self, x):
        return F.linear(x, self.w.t())


def own_leaky():
    torch.manual_seed(3)
    return nn.Sequential(nn.Linear(4, 5), LeakyReLU(), nn.Linear(5, 2))


def wrapped():
    torch.manual_seed(3)
    return nn.DataParallel(nn.Sequential(nn.Linear(4, 5), nn.ReLU(),
                                         nn.Linear(5, 2)))
'''
with open(os.path.join(out, "named.py"), "w") as f:
    f.write(NAMED)
named = {}
exec(compile(NAMED, "named.py", "exec"), named)
with torch.no_grad():
    np.save(os.path.join(out, "own_leaky.npy"),
            named["own_leaky"]()(x4).numpy().astype(np.float32))
    np.save(os.path.join(out, "wrapped.npy"),
            named["wrapped"]().module(x4).numpy().astype(np.float32))
torch.save(torch.nn.Linear(3, 3).state_dict(),
           os.path.join(out, "other-state.pt"))
with open(os.path.join(out, "damaged.pt"), "wb") as f:
    f.write(b"PK\x03\x04 not a zip archive")
