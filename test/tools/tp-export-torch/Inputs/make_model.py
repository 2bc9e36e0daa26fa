"""Makes the exporter's test models in DIR: model.pt (a whole nn.Sequential,
nested, with every supported activation, a Linear without bias, widths no
small D divides, and modules the exporter drops), x.npy (a batch of 6),
torch.npy (PyTorch's own output), conv.pt (a model with an unsupported
module), state.pt (a state_dict only), act-first.pt and widths.pt (chains
that do not fit together) and factory.py (a model defined in
Python)."""
import os
import sys

import numpy as np
import torch
import torch.nn as nn

out = sys.argv[1]
torch.manual_seed(7)
model = nn.Sequential(
    nn.Linear(13, 11), nn.ReLU(),
    nn.Dropout(0.5),
    nn.Linear(11, 7), nn.GELU(),
    nn.Sequential(nn.Linear(7, 9, bias=False), nn.Tanh()),
    nn.Linear(9, 5), nn.GELU(approximate="tanh"),
    nn.Identity(),
    nn.Linear(5, 10), nn.SiLU(),
    nn.Linear(10, 3), nn.Sigmoid(),
    nn.Linear(3, 4),
).eval()
x = torch.randn(6, 13)
with torch.no_grad():
    y = model(x)
torch.save(model, os.path.join(out, "model.pt"))
np.save(os.path.join(out, "x.npy"), x.numpy().astype(np.float32))
np.save(os.path.join(out, "torch.npy"), y.numpy().astype(np.float32))

conv = nn.Sequential(nn.Linear(4, 4), nn.Sequential(nn.Conv1d(1, 1, 3)))
torch.save(conv, os.path.join(out, "conv.pt"))
torch.save(model.state_dict(), os.path.join(out, "state.pt"))
torch.save(nn.Sequential(nn.ReLU(), nn.Linear(3, 3)),
           os.path.join(out, "act-first.pt"))
torch.save(nn.Sequential(nn.Linear(3, 4), nn.Linear(5, 2)),
           os.path.join(out, "widths.pt"))
# float64 weights: one beyond float32's range.
wide = nn.Sequential(nn.Linear(3, 2)).double()
with torch.no_grad():
    wide[0].weight[1, 2] = 1e300
torch.save(wide, os.path.join(out, "f64.pt"))
with open(os.path.join(out, "factory.py"), "w") as f:
    f.write("import torch.nn as nn\n"
            "def make():\n"
            "    return nn.Sequential(nn.Linear(8, 6), nn.ReLU(), "
            "nn.Linear(6, 2))\n")

# A shared activation and a Linear applied twice: each of their places in
# the Sequential is a step of forward.
act, twice = nn.ReLU(), nn.Linear(6, 6)
shared = nn.Sequential(nn.Linear(5, 6), act, twice, act, twice, act,
                       nn.Linear(6, 3)).eval()
xs = torch.randn(4, 5)
with torch.no_grad():
    ys = shared(xs)
torch.save(shared, os.path.join(out, "shared.pt"))
np.save(os.path.join(out, "xs.npy"), xs.numpy().astype(np.float32))
np.save(os.path.join(out, "shared.npy"), ys.numpy().astype(np.float32))

# Names that MLIR strings must escape.
from collections import OrderedDict
torch.save(nn.Sequential(OrderedDict([('a"b\\c', nn.Linear(3, 2))])),
           os.path.join(out, "quoted.pt"))
torch.save(nn.Sequential(nn.Linear(0, 4)), os.path.join(out, "empty.pt"))

# Modules whose output is not what their class's forward computes.
with open(os.path.join(out, "custom.py"), "w") as f:
    f.write("import torch.nn as nn\n"
            "class Scaled(nn.Linear):\n"
            "    def forward(self, x):\n"
            "        return 2 * super().forward(x)\n"
            "def scaled():\n"
            "    return nn.Sequential(Scaled(4, 4), nn.ReLU())\n"
            "def hooked():\n"
            "    m = nn.Sequential(nn.Linear(4, 4), nn.ReLU())\n"
            "    m[0].register_forward_hook(lambda mod, i, o: o * 2)\n"
            "    return m\n")
