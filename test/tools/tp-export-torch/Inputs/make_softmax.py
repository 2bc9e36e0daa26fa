"""Makes the softmax export test's files in DIR: classifier.pt (an
nn.Sequential ending in LogSoftmax, trained for a few steps with NLLLoss),
implicit.pt (a Sequential ending in a Softmax without a dim), softmax.py
(modules that end in, or hold between layers, a softmax or log-softmax
written as a module, a function or a tensor method, and ones over another
dim or in another dtype), x.npy (a batch of 7 of 64 features), and for
each model NAME.npy, PyTorch's output for x, and for those in softmax.py
NAME.state.pt, the state_dict that output was computed with."""
import os
import sys

import numpy as np
import torch
import torch.nn as nn

out = sys.argv[1]
SOURCE = '''
import torch
import torch.nn as nn
import torch.nn.functional as F


class MNISTStyle(nn.Module):
    """The classifier of PyTorch's MNIST example, without convolutions."""
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 13)
        self.fc2 = nn.Linear(13, 10)

    def forward(self, x):
        x = x.view(x.size(0), -1)
        x = F.relu(self.fc1(x))
        x = F.dropout(x, 0.5, self.training)
        x = self.fc2(x)
        return F.log_softmax(x, dim=1)


class Probs(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 11)
        self.fc2 = nn.Linear(11, 7)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x))).softmax(-1)


class Mid(nn.Module):
    """A softmax between layers, then a softmax module at the end."""
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 9)
        self.fc2 = nn.Linear(9, 5)
        self.out = nn.Softmax(dim=-1)

    def forward(self, x):
        x = torch.softmax(self.fc1(x), 1)
        return self.out(torch.log_softmax(self.fc2(x), dim=-1))


class Big(nn.Module):
    """Logits in the hundreds: exp would overflow without the maximum
    taken out first."""
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(64, 6)
        with torch.no_grad():
            self.fc.weight.mul_(400)

    def forward(self, x):
        return F.softmax(self.fc(x), dim=1)


class OverBatch(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(64, 6)

    def forward(self, x):
        return F.softmax(self.fc(x), dim=0)


class InDouble(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(64, 6)

    def forward(self, x):
        return F.log_softmax(self.fc(x), dim=1, dtype=torch.float64)


class NoDimMethod(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(64, 6)

    def forward(self, x):
        return self.fc(x).log_softmax()


class DimTrue(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(64, 6)

    def forward(self, x):
        return F.softmax(self.fc(x), dim=True)


def implicit():
    return nn.Sequential(nn.Linear(64, 8), nn.Tanh(), nn.Linear(8, 3),
                         nn.Softmax())


def over_batch_module():
    return nn.Sequential(nn.Linear(64, 8), nn.LogSoftmax(dim=0))


def softmax_flatten_module():
    return nn.Sequential(nn.Softmax(dim=-1), nn.Flatten(), nn.Linear(64, 2))


class SoftmaxThenView(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(64, 2)

    def forward(self, x):
        return self.fc(F.softmax(x, dim=1).view(x.size(0), -1))
'''
with open(os.path.join(out, "softmax.py"), "w") as f:
    f.write(SOURCE)
sys.path.insert(0, out)
import softmax  # noqa: E402

torch.manual_seed(7)
x = torch.randn(7, 64)
np.save(os.path.join(out, "x.npy"), x.numpy())

classifier = nn.Sequential(nn.Linear(64, 20), nn.ReLU(), nn.Linear(20, 10),
                           nn.LogSoftmax(dim=1))
optimizer = torch.optim.SGD(classifier.parameters(), lr=0.1)
labels = torch.randint(0, 10, (32,))
data = torch.randn(32, 64)
for _ in range(20):
    optimizer.zero_grad()
    loss = nn.functional.nll_loss(classifier(data), labels)
    loss.backward()
    optimizer.step()
torch.save(classifier, os.path.join(out, "classifier.pt"))
# A training checkpoint as the tutorials write it: the epoch, the loss and
# the optimizer's state (its lr and momentum are floats) beside the model's.
# A loss logged as a NumPy scalar, a set and bytes are read too.
torch.save({"epoch": 20, "model_state_dict": classifier.state_dict(),
            "optimizer_state_dict": optimizer.state_dict(),
            "loss": float(loss), "best": np.float64(loss.item()),
            "seen": {"train", "val"}, "note": b"sgd"},
           os.path.join(out, "checkpoint.pt"))
with open(os.path.join(out, "classifier.py"), "w") as f:
    f.write("import torch.nn as nn\n"
            "def classifier():\n"
            "    return nn.Sequential(nn.Linear(64, 20), nn.ReLU(),\n"
            "                         nn.Linear(20, 10), nn.LogSoftmax(dim=1))\n")

models = {"classifier": classifier}
for name in ("MNISTStyle", "Probs", "Mid", "Big"):
    torch.manual_seed(11)
    models[name] = getattr(softmax, name)()
torch.manual_seed(11)
models["implicit"] = softmax.implicit()
torch.save(models["implicit"], os.path.join(out, "implicit.pt"))
for name, model in models.items():
    if name not in ("classifier", "implicit"):
        torch.save(model.state_dict(), os.path.join(out, name + ".state.pt"))
    model.eval()
    with torch.no_grad():
        y = model(x)
    np.save(os.path.join(out, name + ".npy"), y.numpy())
