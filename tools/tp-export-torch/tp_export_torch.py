#!/usr/bin/python3
"""Exports a PyTorch model to tp-mlir: the model .mlir and its weights.

    tp-export-torch MODEL -o model.mlir --weights model.safetensors
    tp-run model.mlir --weights model.safetensors --devices 4 --check

It runs on Debian's /usr/bin/python3 with python3-torch (no CUDA wheel is
needed); with another interpreter that has torch, run it as
`python3 tp-export-torch ...`.

MODEL is a file saved with torch.save(model) (the whole module, not only
its state_dict), or PATH.py:NAME, a Python file and the name in it of an
nn.Module or of a function that returns one. As a module:

    from tp_export_torch import export
    export(model, "model.mlir", "model.safetensors")

The model is an nn.Sequential (nested ones are flattened) of nn.Linear and
the activations tp-mlir has: ReLU, GELU (exact or tanh), SiLU, Tanh,
Sigmoid; Identity, Flatten of a 2-D input and Dropout (an identity at
inference) are dropped. Each nn.Linear becomes a tp.linear whose
activation is the one that follows it; the weight and bias arguments carry
tp.name values equal to the model's state_dict keys, and the safetensors
file holds them under those keys, in float32. The batch is dynamic. A
module that appears at several places (a shared activation, a Linear
applied twice) is exported at each. Any other module is an error that
names it, as is a module whose forward is not its class's (a subclass that
overrides it, forward hooks).
"""
import argparse
import json
import os
import runpy
import struct
import sys

ACTIVATIONS = {
    "ReLU": "relu",
    "SiLU": "silu",
    "Tanh": "tanh",
    "Sigmoid": "sigmoid",
}
DROPPED = ("Identity", "Dropout", "Flatten")


class ExportError(Exception):
    pass


def activation_kind(module):
    name = type(module).__name__
    if name == "GELU":
        approximate = getattr(module, "approximate", "none")
        if approximate == "tanh":
            return "gelu_tanh"
        if approximate == "none":
            return "gelu"
        raise ExportError("GELU(approximate=%r) has no tp-mlir activation"
                          % approximate)
    return ACTIVATIONS.get(name)


def check_plain(module, base, label):
    """Refuses a module whose forward is not `base`'s (a subclass that
    overrides it) or that has forward hooks: its output is not what the
    exported layer computes."""
    if type(module).forward is not base.forward:
        raise ExportError("module %s overrides forward(); tp-export-torch "
                          "exports what %s.forward computes, so it would not "
                          "be this model" % (label, base.__name__))
    if module._forward_hooks or module._forward_pre_hooks:
        raise ExportError("module %s has forward hooks, which the exported "
                          "model would not run" % label)


def flatten(module, prefix=""):
    """(state_dict prefix, leaf module) pairs in execution order: every
    entry of each Sequential, a module that appears twice (a shared
    activation, a Linear applied twice) at each of its places."""
    import torch.nn as nn
    if isinstance(module, nn.Sequential):
        check_plain(module, nn.Sequential,
                    "'%s' (%s)" % (prefix[:-1] or "<root>",
                                   type(module).__name__))
        # named_children() yields a module object once; forward runs every
        # entry of _modules.
        for name, child in module._modules.items():
            if child is not None:
                yield from flatten(child, prefix + name + ".")
    else:
        yield prefix[:-1], module


def layers_of(model):
    """The chain as a list of ("linear", name, module, activation) and
    ("activation", kind) steps."""
    import torch.nn as nn
    if not isinstance(model, nn.Sequential):
        raise ExportError(
            "the model is a %s; tp-export-torch takes an nn.Sequential of "
            "nn.Linear and activations" % type(model).__name__)
    steps = []
    for name, module in flatten(model):
        kind = type(module).__name__
        label = "'%s' (%s)" % (name or "<root>", kind)
        if isinstance(module, nn.Linear):
            check_plain(module, nn.Linear, label)
            check_linear(module, label)
            steps.append(["linear", name, module, None])
            continue
        act = activation_kind(module)
        if act is not None:
            check_plain(module, getattr(nn, kind), label)
            if steps and steps[-1][0] == "linear" and steps[-1][3] is None:
                steps[-1][3] = act
            else:
                steps.append(["activation", act])
            continue
        if kind == "Flatten":
            if (module.start_dim, module.end_dim) not in ((1, -1),):
                raise ExportError("module %s flattens dims %d..%d; only a "
                                  "2-D input's Flatten(1, -1) is supported"
                                  % (label, module.start_dim, module.end_dim))
            continue
        if kind in DROPPED:
            continue
        raise ExportError(
            "module %s is not supported: tp-mlir chains hold nn.Linear and "
            "the activations ReLU, GELU, SiLU, Tanh and Sigmoid" % label)
    if not any(s[0] == "linear" for s in steps):
        raise ExportError("the model has no nn.Linear")
    return steps


def check_linear(linear, label):
    """Refuses weights the safetensors file cannot hold as they are."""
    import torch
    if linear.in_features < 1 or linear.out_features < 1:
        raise ExportError("nn.Linear %s has %d in and %d out features; a "
                          "layer needs at least one of each"
                          % (label, linear.in_features, linear.out_features))
    for what, t in (("weight", linear.weight), ("bias", linear.bias)):
        if t is None:
            continue
        if isinstance(t, torch.nn.parameter.UninitializedParameter):
            raise ExportError("nn.Linear %s is lazy and not initialized: run "
                              "the model once before exporting it" % label)
        if t.is_meta:
            raise ExportError("the %s of nn.Linear %s is on the meta device "
                              "and has no values" % (what, label))
        if t.is_complex() or not t.is_floating_point():
            raise ExportError("the %s of nn.Linear %s is %s; tp-mlir models "
                              "are real (float32)" % (what, label, t.dtype))


def mlir_string(text):
    """`text` as the body of an MLIR string literal."""
    out = []
    for byte in text.encode("utf-8"):
        c = chr(byte)
        if c in '"\\' or not 32 <= byte < 127:
            out.append("\\%02X" % byte)
        else:
            out.append(c)
    return "".join(out)


def write_safetensors(path, tensors):
    """tensors: list of (name, float32 contiguous CPU tensor)."""
    header, offset, blobs = {}, 0, []
    for name, t in tensors:
        data = t.detach().to("cpu").contiguous().float().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def export(model, mlir_path, weights_path, name="model"):
    """Writes `model` (an nn.Sequential) as tp IR to `mlir_path` and its
    weights to `weights_path`. Returns the number of layers."""
    steps = layers_of(model)
    args, body, tensors = [], [], []
    width = None
    value = "%x"
    for i, step in enumerate(steps):
        if step[0] == "activation":
            if width is None:
                raise ExportError("an activation before the first nn.Linear "
                                  "has no known width")
            t = "tensor<?x%dxf32>" % width
            body.append("  %%a%d = tp.activation %s %s : %s"
                        % (i, step[1], value, t))
            value = "%%a%d" % i
            continue
        _, lname, linear, act = step
        n, k = linear.out_features, linear.in_features
        if width is not None and width != k:
            raise ExportError("nn.Linear '%s' takes %d features, but the "
                              "layer before it gives %d" % (lname, k, width))
        if width is None:
            args.append("%%x: tensor<?x%dxf32>" % k)
        wname = (lname + "." if lname else "") + "weight"
        args.append('%%w%d: tensor<%dx%dxf32> {tp.name = "%s"}'
                    % (i, n, k, mlir_string(wname)))
        tensors.append((wname, linear.weight))
        operands = "%s, %%w%d" % (value, i)
        types = "tensor<?x%dxf32>, tensor<%dx%dxf32>" % (k, n, k)
        if linear.bias is not None:
            bname = (lname + "." if lname else "") + "bias"
            args.append('%%b%d: tensor<%dxf32> {tp.name = "%s"}'
                        % (i, n, mlir_string(bname)))
            tensors.append((bname, linear.bias))
            operands += ", %%b%d" % i
            types += ", tensor<%dxf32>" % n
        fused = " activation(%s)" % act if act else ""
        body.append("  %%h%d = tp.linear %s%s : %s -> tensor<?x%dxf32>"
                    % (i, operands, fused, types, n))
        value = "%%h%d" % i
        width = n
    lines = ["// Exported from PyTorch by tp-export-torch: %d layers."
             % sum(1 for s in steps if s[0] == "linear"),
             "func.func @%s(%s) -> tensor<?x%dxf32> {"
             % (name, ",\n    ".join(args), width)]
    lines += body
    lines += ["  return %s : tensor<?x%dxf32>" % (value, width), "}", ""]
    # A failed write (a full disk) leaves neither file: no model whose
    # weights are missing or stale.
    writing = mlir_path
    try:
        with open(mlir_path, "w") as f:
            f.write("\n".join(lines))
        writing = weights_path
        write_safetensors(weights_path, tensors)
    except OSError as e:
        for path in (mlir_path, weights_path):
            if os.path.isfile(path):
                os.remove(path)
        raise ExportError("cannot write '%s': %s"
                          % (writing, e.strerror or e)) from e
    return sum(1 for s in steps if s[0] == "linear")


def load_model(spec):
    import torch
    if ":" in spec and spec.split(":", 1)[0].endswith(".py"):
        path, attr = spec.split(":", 1)
        namespace = runpy.run_path(path)
        if attr not in namespace:
            raise ExportError("%s defines no '%s'" % (path, attr))
        obj = namespace[attr]
        if callable(obj) and not isinstance(obj, torch.nn.Module):
            obj = obj()
        return obj
    if not os.path.isfile(spec):
        raise ExportError("%s: no such file" % spec)
    try:
        obj = torch.load(spec, map_location="cpu", weights_only=False)
    except TypeError:  # torch before weights_only
        obj = torch.load(spec, map_location="cpu")
    if isinstance(obj, dict):
        raise ExportError(
            "%s holds a state_dict, which has no layer order or activations; "
            "save the module itself (torch.save(model, path)), or pass "
            "FILE.py:NAME" % spec)
    return obj


def check_outputs(args):
    """The function's name is a C identifier (tp-compile declares it in C),
    and neither output is the model or the other output."""
    import re
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", args.name):
        raise ExportError("--name %r is not an identifier (letters, digits "
                          "and underscores, not starting with a digit)"
                          % args.name)
    model_file = args.model.split(":", 1)[0] if ":" in args.model and \
        args.model.split(":", 1)[0].endswith(".py") else args.model
    paths = [("-o", args.output), ("--weights", args.weights)]
    if os.path.realpath(args.output) == os.path.realpath(args.weights):
        raise ExportError("-o and --weights are both '%s'; give two files"
                          % args.output)
    for option, path in paths:
        if os.path.realpath(path) == os.path.realpath(model_file):
            raise ExportError("%s '%s' is the model being exported; it would "
                              "be overwritten" % (option, path))
        if os.path.isdir(path):
            raise ExportError("%s '%s' is a directory" % (option, path))


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="tp-export-torch",
        description="Export a PyTorch nn.Sequential of nn.Linear and "
                    "activations to a tp-mlir model and its weights.")
    parser.add_argument("model", help="a torch.save'd module, or FILE.py:NAME")
    parser.add_argument("-o", "--output", required=True,
                        help="the model .mlir to write")
    parser.add_argument("--weights", required=True,
                        help="the .safetensors file to write")
    parser.add_argument("--name", default="model",
                        help="the function's name (default: model)")
    args = parser.parse_args(argv)
    try:
        import torch  # noqa: F401
    except ImportError:
        print("tp-export-torch: error: PyTorch is not installed (Debian: "
              "apt-get install python3-torch)", file=sys.stderr)
        return 1
    try:
        check_outputs(args)
        model = load_model(args.model)
        layers = export(model, args.output, args.weights, args.name)
    except ExportError as e:
        print("tp-export-torch: error: %s" % e, file=sys.stderr)
        return 1
    except OSError as e:
        print("tp-export-torch: error: %s%s" % (
            e.strerror or e, (": '%s'" % e.filename) if e.filename else ""),
            file=sys.stderr)
        return 1
    print("tp-export-torch: wrote %s (%d layers) and %s"
          % (args.output, layers, args.weights))
    return 0


if __name__ == "__main__":
    sys.exit(main())
