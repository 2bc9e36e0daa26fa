"""Makes the training-artefacts test's files in DIR: models as training
code leaves them, each trained a few steps, with x.npy (a batch of 5) and
NAME.npy (PyTorch's output at inference):
  - models.py: a chain over nn.ParameterList and nn.ParameterDict tensors,
    a forward() with optional arguments, one that moves its input (.to of
    a device, of a weight's device, .float(), .cpu()), one with SiLU
    written out (x * torch.sigmoid(x)), one that converts its input to
    float16, and the factories below;
  - pruned.pt (torch.nn.utils.prune, hooks kept), normed.pt (weight_norm),
    saved whole;
  - dict-module.pt: {"model": module, "epoch": 3};
  - compiled.pt, lightning.ckpt, averaged.pt: the state_dict of `plain`
    under "_orig_mod.", under "model." inside {"state_dict": ...}, and as
    AveragedModel saves it ("module." and "n_averaged");
  - quantized.pt: `plain` after quantize_dynamic, saved whole."""
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.utils.prune as prune

out = sys.argv[1]
SOURCE = '''
import torch
import torch.nn as nn
import torch.nn.utils.prune as prune
import torch.nn.functional as F


class Listed(nn.Module):
    def __init__(self):
        super().__init__()
        self.ws = nn.ParameterList([nn.Parameter(torch.randn(7, 6) * 0.4),
                                    nn.Parameter(torch.randn(3, 7) * 0.4)])
        self.bs = nn.ParameterDict({"first": nn.Parameter(torch.randn(7)),
                                    "second": nn.Parameter(torch.randn(3))})

    def forward(self, x):
        x = torch.tanh(F.linear(x, self.ws[0], self.bs["first"]))
        return F.linear(x, self.ws[1], self.bs["second"])


class Optional(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(6, 5)
        self.b = nn.Linear(5, 3)

    def forward(self, x, apply_softmax=False, scale=None):
        x = self.b(F.relu(self.a(x)))
        if apply_softmax:
            x = x.softmax(1)
        if scale is not None:
            x = x * scale
        return x


class Moved(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(6, 5)
        self.b = nn.Linear(5, 3)
        self.device = "cpu"

    def forward(self, x):
        x = x.to(self.a.weight.device).float()
        x = F.silu(self.a(x.to(self.device)))
        return self.b(x.cpu().to(torch.float32))


class Swished(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(6, 5)
        self.b = nn.Linear(5, 3)

    def forward(self, x):
        h = self.a(x)
        h = h * torch.sigmoid(h)
        h = self.b(h)
        return h.mul(h.sigmoid())


class Halved(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(6, 3)

    def forward(self, x):
        return self.a(x.to(torch.float16).float())


def plain():
    torch.manual_seed(5)
    return nn.Sequential(nn.Linear(6, 8), nn.GELU(), nn.Linear(8, 3))
'''
with open(os.path.join(out, "models.py"), "w") as f:
    f.write(SOURCE)
models = {}
exec(compile(SOURCE, "models.py", "exec"), models)
torch.manual_seed(11)
x = torch.randn(5, 6)
np.save(os.path.join(out, "x.npy"), x.numpy().astype(np.float32))


def train(model):
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    for _ in range(5):
        opt.zero_grad()
        model(torch.randn(16, 6)).square().mean().backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        return model(x).numpy().astype(np.float32)


for name in ("Listed", "Optional", "Moved", "Swished"):
    model = models[name]()
    y = train(model)
    torch.save(model.state_dict(), os.path.join(out, name + ".pt"))
    np.save(os.path.join(out, name + ".npy"), y)

pruned = models["plain"]()
prune.l1_unstructured(pruned[0], "weight", 0.4)
prune.random_unstructured(pruned[2], "bias", 0.5)
np.save(os.path.join(out, "pruned.npy"), train(pruned.train()))
torch.save(pruned, os.path.join(out, "pruned.pt"))

normed = models["plain"]()
torch.nn.utils.weight_norm(normed[0])
np.save(os.path.join(out, "normed.npy"), train(normed))
torch.save(normed, os.path.join(out, "normed.pt"))

plain = models["plain"]()
np.save(os.path.join(out, "plain.npy"), train(plain))
torch.save({"model": plain, "epoch": 3},
           os.path.join(out, "dict-module.pt"))
state = plain.state_dict()
torch.save({"_orig_mod." + k: v for k, v in state.items()},
           os.path.join(out, "compiled.pt"))
torch.save({"state_dict": {"model." + k: v for k, v in state.items()},
            "epoch": 3}, os.path.join(out, "lightning.ckpt"))
averaged = torch.optim.swa_utils.AveragedModel(plain)
torch.save(averaged.state_dict(), os.path.join(out, "averaged.pt"))
torch.save(torch.quantization.quantize_dynamic(plain, {nn.Linear}),
           os.path.join(out, "quantized.pt"))
