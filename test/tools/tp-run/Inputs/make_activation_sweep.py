#!/usr/bin/env python3
"""Writes, for each activation (with parameters: leaky_relu(0.2)), a one-layer model y = sigma(1 * x + 0) on
one feature, its weights, and an input that sweeps x over the f32 range
where the activation's compiled approximation works: both signs, from
1e-30 to 1e4, 200 values per decade, with the clamping points of the
polynomial approximations (tanh saturates near 8, exp near 88) and
their neighbours, then each power of ten up to f32's largest value. all.txt and libm.txt list the models' names, for the
test's loops. tp-run --check then compares every element with the
reference's double-precision result, within each element's f32 bound.

Only the standard library, like make_files.py.

Usage: make_activation_sweep.py OUT_DIR
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_files import npy, safetensors  # noqa: E402

# Each kind as written in the op, with PyTorch's default parameters and
# with others (softplus with a low threshold, so that the sweep crosses it,
# a negative one, and one above where exp overflows f32, which gives
# infinity as PyTorch does; hardtanh(0, 6) is ReLU6).
ACTIVATIONS = ["identity", "relu", "gelu", "gelu_tanh", "sigmoid", "tanh",
               "silu", "leaky_relu", "leaky_relu(0.2)", "elu", "elu(0.5)",
               "selu", "softplus", "softplus(2.0, 5.0)", "softplus(0.5, -2.0)",
               "softplus(1.0, 100.0)", "mish", "hardtanh",
               "hardtanh(0.0, 6.0)", "hardsigmoid", "hardswish"]
# Those whose compiled code calls tanh, erf, exp, expm1 or log1p, which
# --libm-math computes with libm.
TRANSCENDENTAL = ["gelu", "gelu_tanh", "sigmoid", "tanh", "silu", "elu",
                  "elu(0.5)", "selu", "softplus", "softplus(2.0, 5.0)",
                  "softplus(0.5, -2.0)", "softplus(1.0, 100.0)", "mish"]


def slug(act):
    """A file name for `act`: leaky_relu(0.2) -> leaky_relu_0.2."""
    return act.replace("(", "_").replace(", ", "_").replace(")", "")


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    xs = [0.0]
    for i in range(-30 * 200, 4 * 200 + 1):
        xs += [10.0 ** (i / 200.0), -(10.0 ** (i / 200.0))]
    for edge in (7.90531110763549805, 7.99881172180175781, 8.0, 9.0, 15.0, 16.0, 87.0, 88.0,
                 88.3762626647949, 89.0, 103.0, 104.0):
        xs += [edge, -edge, edge * (1 + 2 ** -23), -edge * (1 - 2 ** -23)]
    # Far out, where an intermediate product can overflow f32 though the
    # value does not (hardswish multiplied x by 6 first: inf past 5.7e37).
    for big in [10.0 ** e for e in range(5, 39)] + [3e38, 3.4028234663852886e38]:
        xs += [big, -big]
    npy(os.path.join(out, "x.npy"), [len(xs), 1], xs)
    safetensors(os.path.join(out, "w.safetensors"),
                [("w", "F32", [1, 1], [1.0]), ("b", "F32", [1], [0.0])])
    for name, acts in (("all", ACTIVATIONS), ("libm", TRANSCENDENTAL)):
        with open(os.path.join(out, name + ".txt"), "w") as f:
            f.write("\n".join(slug(a) for a in acts) + "\n")
    for act in ACTIVATIONS:
        with open(os.path.join(out, slug(act) + ".mlir"), "w") as f:
            f.write(
                "func.func @sweep(%x: tensor<?x1xf32>,\n"
                "    %w: tensor<1x1xf32> {tp.name = \"w\"},\n"
                "    %b: tensor<1xf32> {tp.name = \"b\"}) -> tensor<?x1xf32> {\n"
                f"  %y = tp.linear %x, %w, %b activation({act})\n"
                "      : tensor<?x1xf32>, tensor<1x1xf32>, tensor<1xf32>\n"
                "      -> tensor<?x1xf32>\n"
                "  return %y : tensor<?x1xf32>\n"
                "}\n")


if __name__ == "__main__":
    main()
