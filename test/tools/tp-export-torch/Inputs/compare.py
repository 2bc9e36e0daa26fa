"""Prints the largest difference between two .npy outputs, relative to the
largest magnitude of the second, and whether it is within 1e-5."""
import sys

import numpy as np

a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
if a.shape != b.shape:
    print("shape mismatch: %s vs %s" % (a.shape, b.shape))
    sys.exit(1)
err = float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(b))), 1e-30))
print("matches PyTorch: %s" % ("yes" if err < 1e-5 else "NO (%.3g)" % err))
