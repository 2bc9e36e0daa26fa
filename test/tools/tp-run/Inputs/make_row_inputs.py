"""Writes the row-wise ops' hostile inputs into DIR: masked.npy (4 x 13:
rows with -inf entries, as a masked softmax has, one with values near the
f32 exp range's ends, and one all -inf), and wide.npy (2 x 1,000,000: one
entry 0 and the rest -ln 10, so that an f32 sum of the exps drifts by
thousands of ulps), with wide-softmax.mlir and wide-log-softmax.mlir, a
softmax and a log-softmax of the input."""
import math
import os
import struct
import sys

out = sys.argv[1]


def save(name, rows):
    shape = "(%d, %d)" % (len(rows), len(rows[0]))
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }" % shape
    # The header's length, with its newline, makes the data start at a
    # multiple of 64 bytes.
    text = header + " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    with open(os.path.join(out, name), "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)))
        f.write(text.encode())
        for row in rows:
            f.write(struct.pack("<%df" % len(row), *row))


inf = float("inf")
save("masked.npy", [
    [float(i) for i in range(12)] + [-inf],
    [-inf, 3.0, -inf, 1.0, 2.0, -inf, 0.5, -inf, 7.0, -inf, 6.5, 0.0, -inf],
    [0.0, -87.0, -88.0, -103.0, -104.0, -150.0, 1.0, 88.0, -inf, 1e30,
     -1e30, 3.0, 2.0],
    [-inf] * 13,
])
n = 1000000
low = -math.log(10)
save("wide.npy", [[0.0] + [low] * (n - 1), [low] * (n - 1) + [1.0]])
for op in ("softmax", "log_softmax"):
    with open(os.path.join(out, "wide-%s.mlir" % op.replace("_", "-")),
              "w") as f:
        f.write("func.func @wide(%%x: tensor<?x%dxf32>) -> tensor<?x%dxf32> {\n"
                "  %%0 = tp.%s %%x : tensor<?x%dxf32>\n"
                "  return %%0 : tensor<?x%dxf32>\n}\n" % (n, n, op, n, n))
