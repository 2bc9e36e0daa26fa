"""Makes the BatchNorm export test's files in DIR: bn.pt (a Sequential,
trained for a few steps so that its running statistics are not the
initial ones, with a BatchNorm1d before its first Linear, one after a
Linear and before its activation, one without affine parameters after an
activation, and one after the last Linear), x.npy and bn.npy (PyTorch's
output for it), traced.py with Net (a module whose forward() applies a
BatchNorm1d module) and its trained state_dict net.state.pt and output
net.npy, flipped.pt and flipped.npy (a trained model whose BatchNorm's
track_running_stats was turned off after training: in eval mode PyTorch
still normalizes by the running statistics it holds), and the models that
cannot be folded: relu-bn-relu.pt, ends.pt, no-stats.pt and twice.pt."""
import os
import sys

import numpy as np
import torch
import torch.nn as nn

out = sys.argv[1]
SOURCE = '''
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(13, 8)
        self.bn1 = nn.BatchNorm1d(8)
        self.fc2 = nn.Linear(8, 4)

    def forward(self, x):
        return F.log_softmax(self.fc2(F.relu(self.bn1(self.fc1(x)))), dim=1)
'''
with open(os.path.join(out, "traced.py"), "w") as f:
    f.write(SOURCE)
sys.path.insert(0, out)
import traced  # noqa: E402


def train(model):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    for _ in range(30):
        optimizer.zero_grad()
        model(torch.randn(32, 13) * 3 + 1).square().mean().backward()
        optimizer.step()
    model.eval()


torch.manual_seed(3)
x = torch.randn(6, 13) * 3 + 1
np.save(os.path.join(out, "x.npy"), x.numpy())
bn = nn.Sequential(nn.BatchNorm1d(13), nn.Linear(13, 9), nn.BatchNorm1d(9),
                   nn.ReLU(), nn.Linear(9, 7, bias=False), nn.Tanh(),
                   nn.BatchNorm1d(7, affine=False), nn.Linear(7, 5),
                   nn.BatchNorm1d(5))
train(bn)
net = traced.Net()
train(net)
flipped = nn.Sequential(nn.Linear(13, 6), nn.BatchNorm1d(6), nn.ReLU(),
                        nn.Linear(6, 4))
train(flipped)
flipped[1].track_running_stats = False
with torch.no_grad():
    np.save(os.path.join(out, "bn.npy"), bn(x).numpy())
    np.save(os.path.join(out, "net.npy"), net(x).numpy())
    np.save(os.path.join(out, "flipped.npy"), flipped(x).numpy())
torch.save(flipped, os.path.join(out, "flipped.pt"))
torch.save(bn, os.path.join(out, "bn.pt"))
torch.save(net.state_dict(), os.path.join(out, "net.state.pt"))
torch.save(nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.BatchNorm1d(4),
                         nn.ReLU(), nn.Linear(4, 2)),
           os.path.join(out, "relu-bn-relu.pt"))
torch.save(nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.BatchNorm1d(4)),
           os.path.join(out, "ends.pt"))
torch.save(nn.Sequential(nn.Linear(4, 4),
                         nn.BatchNorm1d(4, track_running_stats=False)),
           os.path.join(out, "no-stats.pt"))
torch.save(nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.BatchNorm1d(4),
                         nn.BatchNorm1d(4), nn.Linear(4, 2)),
           os.path.join(out, "twice.pt"))
