#!/usr/bin/env python3
"""Writes the weight and input files of the tp-run I/O tests into a folder.

Only the standard library: the files are built byte by byte, so the tests
do not depend on numpy or on tp-run's own writers.

Usage: make_files.py OUT_DIR
"""
import json
import os
import struct
import sys


def pack(dtype, values):
    """Little-endian bytes of `values` as `dtype` (BF16: the top half of
    each float32)."""
    if dtype == "BF16":
        return b"".join(struct.pack("<f", v)[2:] for v in values)
    code = {"F32": "f", "F16": "e", "F64": "d", "I32": "i"}[dtype]
    return struct.pack("<%d%s" % (len(values), code), *values)


def safetensors(path, tensors, header_extra=None, data_override=None,
                header_size=None):
    """tensors: list of (name, dtype, shape, list of floats); header_size
    pads the JSON header with spaces to that many bytes."""
    header, data = {}, b""
    for name, dtype, shape, values in tensors:
        raw = pack(dtype, values)
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    if header_extra:
        header.update(header_extra)
    text = json.dumps(header).encode()
    if header_size is not None:
        text += b" " * (header_size - len(text))
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        f.write(data if data_override is None else data_override)


def npy(path, shape, values, fortran=False, header=None, descr="<f4"):
    if header is None:
        header = "{'descr': '%s', 'fortran_order': %s, 'shape': (%s), }" % (
            descr, "True" if fortran else "False",
            "".join("%d, " % d for d in shape))
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)))
        f.write(header.encode())
        code = {"<f4": "f", "<f8": "d", "<f2": "e", "<i4": "i"}[descr]
        if code == "i":
            values = [int(v) for v in values]
        f.write(struct.pack("<%d%s" % (len(values), code), *values))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    p = lambda name: os.path.join(out, name)
    # The weights of Inputs/small.mlir: 4 -> 3 -> 2, with values chosen so
    # the output can be worked out by hand.
    w0 = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1]  # 3x4
    b0 = [0.5, -10, 0]
    w1 = [1, 1, 1, 0, 0, 2]                      # 2x3
    good = [("l0.weight", "F32", [3, 4], w0), ("l0.bias", "F32", [3], b0),
            ("l1.weight", "F32", [2, 3], w1)]
    safetensors(p("good.safetensors"), good)
    # Header lengths whose first bytes are a pickle's (80 02, 80 04, 80 05):
    # still safetensors files.
    for size in (640, 1152, 1408):
        safetensors(p("good-%d.safetensors" % size), good, header_size=size)
    safetensors(p("missing.safetensors"), good[:2])
    safetensors(p("shape.safetensors"),
                [good[0], good[1], ("l1.weight", "F32", [3, 2], w1)])
    safetensors(p("dtype.safetensors"),
                [good[0], good[1], ("l1.weight", "I32", [2, 3], w1)])
    # The same weights as F16, BF16 and F64 (every value exact in each),
    # which are read converted; an F64 value beyond float32's range.
    for dtype in ("F16", "BF16", "F64"):
        safetensors(p("good-%s.safetensors" % dtype.lower()),
                    [(n, dtype, shape, v) for n, _, shape, v in good])
    safetensors(p("range.safetensors"),
                [(n, "F64", shape, v) for n, _, shape, v in good[:2]] +
                [("l1.weight", "F64", [2, 3], [1, 1, 1, 0, 0, 1e300])])
    # Offsets past the end of the data.
    safetensors(p("offsets.safetensors"), good,
                data_override=struct.pack("<4f", 1, 2, 3, 4))
    # Truncated: only part of the header-length field.
    with open(p("truncated.safetensors"), "wb") as f:
        f.write(b"\x10\x00\x00")
    # A header length far past the end of the file.
    with open(p("header.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", 1 << 40) + b"{}")
    # Not JSON.
    with open(p("json.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", 5) + b"{oops")
    # Inputs: a batch of two rows, and one of the wrong width.
    npy(p("x.npy"), [2, 4], [1, 2, 3, 4, -1, -2, -3, -4])
    npy(p("x-wide.npy"), [2, 5], [0] * 10)
    # The same input as float64 (NumPy's default) and float16, read
    # converted; a float64 beyond float32's range; integers.
    npy(p("x-f8.npy"), [2, 4], [1, 2, 3, 4, -1, -2, -3, -4], descr="<f8")
    npy(p("x-f2.npy"), [2, 4], [1, 2, 3, 4, -1, -2, -3, -4], descr="<f2")
    npy(p("x-range.npy"), [2, 4], [1, 2, 3, 4, -1, -2, -3, -1e300],
        descr="<f8")
    npy(p("x-int.npy"), [2, 4], [1, 2, 3, 4, -1, -2, -3, -4], descr="<i4")
    # Hostile or unusual files.
    # One example without its batch dimension; a Fortran-ordered array.
    npy(p("x-1d.npy"), [4], [1, 2, 3, 4])
    # Images for a model that flattened them: 2 examples of 2x2; and 2 of
    # 3x2, which do not hold its 4 features.
    npy(p("x-images.npy"), [2, 2, 2], [1, 2, 3, 4, -1, -2, -3, -4])
    npy(p("x-images-wide.npy"), [2, 3, 2], [0] * 12)
    npy(p("x-fortran.npy"), [2, 4], [1, 2, 3, 4, -1, -2, -3, -4], fortran=True)
    # A NaN in the input: the output holds NaN, on both sides of a check.
    npy(p("x-nan.npy"), [2, 4], [1, float("nan"), 3, 4, -1, -2, -3, -4])
    npy(p("x-inf.npy"), [2, 4], [float("inf")] * 4 + [float("-inf")] * 4)
    # Shapes whose element count overflows int64, or is far past the data.
    npy(p("x-overflow.npy"), [1 << 40, 1 << 40], [])
    npy(p("x-huge.npy"), [1 << 20, 4], [0] * 8)
    # Headers that are not the dict np.save writes.
    for name, header in (
            ("x-list", "[1, 2]"), ("x-nodescr", "{}"),
            ("x-struct", "{'descr': [('a', '<f4'), ('b', '<i4')], "
                         "'fortran_order': False, 'shape': (2,), }"),
            ("x-order", "{'descr': '<f4', 'fortran_order': 'no', "
                        "'shape': (2, 4), }"),
            ("x-noorder", "{'descr': '<f4', 'shape': (2, 4), }"),
            ("x-nested", "{'descr': [('a', [('x', '<f4')]), ('b', '<i4')], "
                         "'fortran_order': False, 'shape': (2,), }"),
            # np.load keeps the last of a repeated key; text after the dict
            # is a syntax error to it; "(8)" is an int, not a tuple.
            ("x-dupkey", "{'descr': '<f4', 'descr': '<f8', "
                         "'fortran_order': False, 'shape': (8,), }"),
            ("x-junk", "{'descr': '<f4', 'fortran_order': False, "
                       "'shape': (8,), } junk"),
            ("x-extrakey", "{'descr': '<f4', 'fortran_order': False, "
                           "'shape': (8,), 'strides': (4,), }"),
            ("x-shapeint", "{'descr': '<f4', 'fortran_order': False, "
                           "'shape': (8), }"),
            ("x-shapegap", "{'descr': '<f4', 'fortran_order': False, "
                           "'shape': (2,, 4), }")):
        npy(p(name + ".npy"), [], [0] * 8, header=header)
    safetensors(p("overflow.safetensors"), good, header_extra={
        "big": {"dtype": "F32", "shape": [1 << 40, 1 << 40],
                "data_offsets": [0, 16]}})
    # A close name: l1.weights for l1.weight.
    safetensors(p("typo.safetensors"),
                [good[0], good[1], ("l1.weights", "F32", [2, 3], w1)])
    # A header nested past the parser's stack (it recursed once per level).
    deep = b'{"__metadata__":{"a":' + b"[" * 50000 + b"]" * 50000 + b"}}"
    with open(p("deep.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(deep)) + deep)
    # __metadata__ is a map of strings.
    with open(p("metadata.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", 22) + b'{"__metadata__":[1,2]}')
    # A tensor named twice (the second spelled with an escape), and two
    # tensors that share bytes: the parser kept the last of a repeated key.
    entry = '"l0.bias":{"dtype":"F32","shape":[3],"data_offsets":[%d,%d]}'
    for name, second in (("repeated", entry.replace("l0.bias", "l0.b\\u0069as")),
                         ("overlap", entry.replace("l0.bias", "l1.bias"))):
        header = ("{" + entry % (0, 12) + "," +
                  second % ((12, 24) if name == "repeated" else (8, 20)) +
                  "}").encode()
        with open(p(name + ".safetensors"), "wb") as f:
            f.write(struct.pack("<Q", len(header)) + header + b"\0" * 24)
    # What the safetensors library also writes, and must load: a
    # __metadata__ map, an empty tensor (equal offsets), the entries in
    # another order than the data, spaces and newlines in the header.
    raw = {name: struct.pack("<%df" % len(v), *v) for name, _, _, v in good}
    order = ["l1.weight", "l0.weight", "l0.bias"]
    offsets, at = {}, 0
    for name in order:
        offsets[name] = [at, at + len(raw[name])]
        at += len(raw[name])
    entries = ['"__metadata__": {"format": "pt"}',
               '"empty": {"dtype": "F32", "shape": [0, 3], '
               '"data_offsets": [%d, %d]}' % (at, at)]
    for name, dtype, shape, _ in reversed(good):
        entries.append('"%s": {"dtype": "%s", "shape": %s, '
                       '"data_offsets": %s}' % (name, dtype, shape,
                                                offsets[name]))
    header = ("{\n  " + ",\n  ".join(entries) + "\n}").encode()
    with open(p("library.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header +
                b"".join(raw[name] for name in order))
    # A key repeated inside a tensor's entry, and a repeated __metadata__.
    for name, header in (
            ("inner", '{"l0.bias": {"dtype": "F32", "shape": [3], '
                      '"data_offsets": [0, 12], "data_offsets": [0, 12]}}'),
            ("metadata2", '{"__metadata__": {}, "__metadata__": {}}')):
        with open(p(name + ".safetensors"), "wb") as f:
            f.write(struct.pack("<Q", len(header)) + header.encode() +
                    b"\0" * 12)
    # Inputs/saturated.mlir: the first row's pre-activation is -1e38, which
    # the relu zeroes; its rounding error is huge, and must not make the
    # bound of the output huge too. The "wrong" weights differ in w1 only.
    w0 = [10, 0, 0, 1]
    safetensors(p("saturated.safetensors"),
                [("w0", "F32", [2, 2], w0), ("w1", "F32", [2, 2], [1, 2, 3, 4])])
    safetensors(p("saturated-wrong.safetensors"),
                [("w0", "F32", [2, 2], w0),
                 ("w1", "F32", [2, 2], [1, 20, 3, 40])])
    npy(p("saturated-x.npy"), [3, 2], [-1e37, 1, 2, -3, -1e37, -1e37])
    # Inputs/saturated-wide.mlir: saturated.mlir with 64 outputs, and a
    # checkpoint whose w1 differs in element [20, 1] (byte 164, in rank 1's
    # column at D = 2; rank 0's weights make the reference), outside the
    # samples that MPI ranks compare (bytes 0, 256 and 448 of its 512).
    w1 = [float(i % 5 + 1) for i in range(64 * 2)]
    safetensors(p("saturated-wide.safetensors"),
                [("w0", "F32", [2, 2], w0), ("w1", "F32", [64, 2], w1)])
    w1[41] += 10
    safetensors(p("saturated-wide-other.safetensors"),
                [("w0", "F32", [2, 2], w0), ("w1", "F32", [64, 2], w1)])
    # Inputs/saturated-bias.mlir: pre-activations of -inf, which a
    # saturating activation maps to its limit exactly.
    safetensors(p("saturated-bias.safetensors"),
                [("w0", "F32", [2, 2], [1, 1, 1, 1]),
                 ("w1", "F32", [2, 2], [1, 2, 3, 4]),
                 ("b1", "F32", [2], [1, 2])])
    npy(p("saturated-inf.npy"), [2, 2],
        [float("-inf"), 1, float("-inf"), float("-inf")])
    # The magic and a version, then nothing.
    with open(p("x-truncated.npy"), "wb") as f:
        f.write(b"\x93NUMPY\x01")
    # What torch.save writes: a zip archive.
    with open(p("model.pt"), "wb") as f:
        f.write(b"PK\x03\x04" + b"\x00" * 60)


if __name__ == "__main__":
    main()
