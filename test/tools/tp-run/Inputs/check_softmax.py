"""Compares Y.npy with the softmax (or, with --log, the log-softmax) of
X.npy over its rows, computed in float64 with NumPy: prints whether every
element is within 1e-5 of it relatively (a softmax, whose small values are
as well conditioned as its large ones, above f32's smallest normal), or
within 1e-6 of max(1, |it|) (a log-softmax, whose values near 0 come from
a difference), and NaN and infinities where the reference has them."""
import sys

import numpy as np

log = "--log" in sys.argv
x_path, y_path = [a for a in sys.argv[1:] if a != "--log"]
x = np.load(x_path).astype(np.float64)
y = np.load(y_path).astype(np.float64)
with np.errstate(invalid="ignore", over="ignore"):
    m = np.max(x, axis=1, keepdims=True)
    shifted = x - m
    s = np.sum(np.exp(shifted), axis=1, keepdims=True)
    ref = shifted - np.log(s) if log else np.exp(shifted) / s
same = (np.isnan(ref) == np.isnan(y)) & (np.isinf(ref) == np.isinf(y))
finite = np.isfinite(ref) & np.isfinite(y)
same &= np.where(np.isinf(ref), ref == y, True)
with np.errstate(invalid="ignore"):
    if log:
        allowed = 1e-6 * np.maximum(1.0, np.abs(ref))
    else:
        allowed = 1e-5 * np.abs(ref) + 2.0 ** -126
    err = np.where(finite, np.abs(y - ref) / allowed, 0)
ok = bool(np.all(same)) and float(np.max(err)) <= 1
print("matches numpy: %s" % ("yes" if ok else "NO (%.3g of the allowance)" % np.max(err)))
