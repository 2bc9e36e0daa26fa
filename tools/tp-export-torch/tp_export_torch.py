#!/usr/bin/python3
"""Exports a PyTorch model to tp-mlir: the model .mlir and its weights.

    tp-export-torch MODEL -o model.mlir --weights model.safetensors
    tp-run model.mlir --weights model.safetensors --devices 4 --check

It runs on Debian's /usr/bin/python3 with python3-torch (no CUDA wheel is
needed); with another interpreter that has torch, run it as
`python3 tp-export-torch ...`.

MODEL is a file saved with torch.save(model) (the whole module, not only
its state_dict), or PATH.py:NAME, a Python file and the name in it of an
nn.Module, of a function that returns one, or of a module class (built
without arguments). --state-dict FILE then loads trained weights into it
(every key must match). --classes TRAIN.py makes the classes of a training
script importable for a whole-module file that names them (its
`if __name__ == "__main__":` part does not run). As a module:

    from tp_export_torch import export
    export(model, "model.mlir", "model.safetensors")

The model is a chain of nn.Linear layers and the activations tp-mlir has:
ReLU, GELU (exact or tanh), SiLU, Tanh, Sigmoid, LeakyReLU, ELU, SELU,
Softplus, Mish, Hardtanh, ReLU6, Hardsigmoid, Hardswish (their parameters
finite numbers), and Softmax or LogSoftmax over the features (dim 1 or
-1); an nn.BatchNorm1d with running statistics
is folded into the linear layer next to it (its output, or else the next
layer's input), and that layer's tensors are named KEY@BN. An
nn.Sequential of
torch.nn modules (nested ones are flattened) is read from its entries;
Identity, Flatten of a 2-D input and Dropout (an identity at inference)
are dropped. Any other module has its forward() traced with torch.fx, and
every step of the trace must take the step before it and nothing else:
an nn.Linear or F.linear of tensors the model holds, an activation as a
module, a function (F.relu, torch.tanh, ...) or a tensor method
(x.sigmoid()), a dropout, a move to a device or to float32 (x.to(device),
x.float()), or a reshape that keeps a 2-D value (x.view(x.size(0), -1),
x.view(-1, n), flatten(1)). Arguments of forward() after the input that
have defaults are traced at them. Each linear layer
becomes a tp.linear whose activation is the one that follows it; the
weight and bias arguments carry tp.name values equal to the model's
state_dict keys, and the safetensors file holds them under those keys, in
float32. The batch is dynamic. A module that appears at several places (a
shared activation, a Linear applied twice) is exported at each. Anything
else is an error that names it: another module or operation, a value used
twice (a residual), a forward() torch.fx cannot trace (control flow on
values), a module whose forward is not its class's (a subclass that
overrides it, forward hooks other than pruning, weight_norm and
spectral_norm, which are made permanent in a copy).
"""
import argparse
import inspect
import json
import math
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
# Row-wise ops over the features: their tp op.
SOFTMAXES = {"Softmax": "softmax", "LogSoftmax": "log_softmax"}
# The activations with parameters: module name -> (tp kind, the module's
# attributes in the order the kind takes them; ReLU6 is a Hardtanh).
PARAMETERIZED = {
    "LeakyReLU": ("leaky_relu", ("negative_slope",)),
    "ELU": ("elu", ("alpha",)),
    "SELU": ("selu", ()),
    "Softplus": ("softplus", ("beta", "threshold")),
    "Mish": ("mish", ()),
    "Hardtanh": ("hardtanh", ("min_val", "max_val")),
    "ReLU6": ("hardtanh", ("min_val", "max_val")),
    "Hardsigmoid": ("hardsigmoid", ()),
    "Hardswish": ("hardswish", ()),
}
SUPPORTED = ("nn.Linear, BatchNorm1d next to one, and the activations "
             "ReLU, GELU, SiLU, Tanh, Sigmoid, LeakyReLU, ELU, SELU, "
             "Softplus, Mish, Hardtanh, ReLU6, Hardsigmoid, Hardswish, "
             "Softmax and LogSoftmax")


class ExportError(Exception):
    pass


def one_line(error):
    """An exception's text on one line."""
    return " ".join(str(error).split())


def check_file(path):
    if os.path.isdir(path):
        raise ExportError("%s is a directory" % path)
    if not os.path.isfile(path):
        raise ExportError("%s: no such file" % path)


def run_script(path, run_name):
    """Runs the Python file `path` as `python3 path` would find its
    neighbours (its directory first on sys.path) and its command line
    (only its own name: a training script's argparse must not read the
    exporter's), under `run_name`, so that an `if __name__ ==
    "__main__":` part does not run. Returns its globals."""
    check_file(path)
    directory = os.path.dirname(os.path.abspath(path))
    if directory not in sys.path:
        sys.path.insert(0, directory)
    argv = sys.argv
    sys.argv = [path]
    try:
        return runpy.run_path(path, run_name=run_name)
    except (Exception, SystemExit) as e:
        raise ExportError("running %s failed (%s: %s)"
                          % (path, type(e).__name__, one_line(e))) from e
    finally:
        sys.argv = argv


# The classes of the files given with --classes, by name, for the
# unpickler: torch.save in a training script names its classes
# `__main__.X`.
SCRIPT_CLASSES = {}


def mlir_float(value):
    """`value` as an MLIR float literal, which needs a point: 0.2, 1.0e-05,
    6.0."""
    text = repr(float(value))
    mantissa, e, exponent = text.partition("e")
    if "." not in mantissa:
        mantissa += ".0"
    return mantissa + e + exponent


def as_float32(value):
    """`value` rounded to float32, as tp-mlir reads it: inf past its range,
    0 below its smallest denormal."""
    try:
        return struct.unpack("<f", struct.pack("<f", value))[0]
    except OverflowError:
        return math.copysign(math.inf, value)


def parameterized(kind, names, values, label):
    """The tp activation `kind(v0, v1)` with the parameters `values`
    (named `names`), which must be numbers known at export, finite in
    float32, where tp-mlir computes."""
    if not names:
        return kind
    texts = []
    rounded = []
    for name, value in zip(names, values):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ExportError("%s: %s is %r, not a number known when the "
                              "model is exported" % (label, name, value))
        if not math.isfinite(value):
            raise ExportError("%s: %s is %r; tp-mlir's %s takes finite "
                              "parameters" % (label, name, value, kind))
        if not math.isfinite(as_float32(value)):
            raise ExportError("%s: %s is %r, beyond float32's range (about "
                              "3.4e38), where tp-mlir computes"
                              % (label, name, value))
        texts.append(mlir_float(value))
        rounded.append(as_float32(value))
    if kind == "hardtanh" and not rounded[0] < rounded[1]:
        raise ExportError("%s: min_val (%r) must be below max_val (%r)%s"
                          % (label, values[0], values[1],
                             " in float32, where they are equal"
                             if values[0] < values[1] else ""))
    if kind == "softplus" and not rounded[0] > 0:
        raise ExportError("%s: beta is %r; tp-mlir's softplus takes a "
                          "positive beta%s"
                          % (label, values[0],
                             ", and float32 rounds this one to 0"
                             if values[0] > 0 else ""))
    return "%s(%s)" % (kind, ", ".join(texts))


def activation_kind(module):
    """The activation of a torch.nn activation module (or of a subclass of
    one with the same name); None for anything else, a class of the user's
    that only shares a name with torch's (its forward is traced)."""
    import torch.nn as nn
    name = type(module).__name__
    base = getattr(nn, name, None)
    if not (isinstance(base, type) and isinstance(module, base)):
        return None
    if name in PARAMETERIZED:
        kind, names = PARAMETERIZED[name]
        return parameterized(kind, names,
                             [getattr(module, n) for n in names],
                             "module %s" % name)
    if name == "GELU":
        approximate = getattr(module, "approximate", "none")
        if approximate == "tanh":
            return "gelu_tanh"
        if approximate == "none":
            return "gelu"
        raise ExportError("GELU(approximate=%r) has no tp-mlir activation"
                          % approximate)
    return ACTIVATIONS.get(name)


def softmax_step(op, dim, dtype, label):
    """The step of a softmax (`op` is softmax or log_softmax) over `dim`
    of a (batch, features) value: dim 1 or -1, or None, which PyTorch reads
    as 1 for a 2-D input; computed in float32."""
    if dim is not None and (type(dim) is not int or dim not in (1, -1)):
        raise ExportError("%s is a %s over dim %r; tp-mlir chains hold "
                          "(batch, features) values and normalize over the "
                          "features only (dim=1 or dim=-1)"
                          % (label, op, dim))
    if dtype is not None:
        import torch
        if dtype != torch.float32:
            raise ExportError("%s is a %s in %s; tp-mlir computes in float32"
                              % (label, op, dtype))
    return ("softmax", op)


def check_runs_as_written(module, label):
    """Refuses a module whose call does more than its forward(): forward
    hooks, a forward replaced on the instance; and a lazy module that has
    no weights yet (its hook would make them)."""
    from torch.nn.modules.lazy import LazyModuleMixin
    if isinstance(module, LazyModuleMixin) and \
            module.has_uninitialized_params():
        raise ExportError("module %s is lazy and not initialized: run the "
                          "model once before exporting it" % label)
    import torch.fx
    import torch.nn as nn
    # A GraphModule's __call__ runs its generated forward(), as a module's.
    if type(module).__call__ is not nn.Module.__call__ and \
            not isinstance(module, torch.fx.GraphModule):
        raise ExportError("module %s overrides __call__; tp-export-torch "
                          "exports what forward() computes, so it would not "
                          "be this model" % label)
    if "forward" in module.__dict__:
        raise ExportError("module %s has its forward replaced on the "
                          "instance; tp-export-torch exports what its class "
                          "computes, so it would not be this model" % label)
    hooks = list(module._forward_pre_hooks.values()) + \
        list(module._forward_hooks.values())
    if hooks:
        raise ExportError("module %s has a forward hook (%s), which the "
                          "exported model would not run (pruning, "
                          "weight_norm and spectral_norm hooks are made "
                          "permanent on export; other hooks are not)"
                          % (label, getattr(hooks[0], "__qualname__",
                                            type(hooks[0]).__name__)))


def check_plain(module, base, label):
    """Refuses a module whose forward is not `base`'s (a subclass that
    overrides it), or whose call does more (check_runs_as_written): its
    output is not what the exported layer computes."""
    check_runs_as_written(module, label)
    if type(module).forward is not base.forward:
        raise ExportError("module %s overrides forward(); tp-export-torch "
                          "exports what %s.forward computes, so it would not "
                          "be this model" % (label, base.__name__))


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
            if child is None:
                raise ExportError("entry '%s' of the nn.Sequential is None, "
                                  "which its forward() cannot call"
                                  % (prefix + name))
            yield from flatten(child, prefix + name + ".")
    else:
        yield prefix[:-1], module


class Linear:
    """One layer of the chain: its weight and optional bias, the state_dict
    keys they are exported under, and the activation fused into it."""

    def __init__(self, label, wname, weight, bname, bias):
        self.label, self.wname, self.weight = label, wname, weight
        self.bname, self.bias = bname, bias
        self.act = None
        check_linear_tensors(weight, bias, label)
        self.out_features, self.in_features = weight.shape

    def bias_or_zero(self):
        import torch
        if self.bias is None:
            return torch.zeros(self.out_features, dtype=torch.float64)
        return self.bias.detach().double()

    def folded(self, bn, weight, bias):
        """This layer with `bn` folded in: new tensors, named KEY@BN."""
        bname = self.bname
        if bname is None:
            bname = self.wname[:-len("weight")] + "bias" \
                if self.wname.endswith("weight") else self.wname + ".bias"
        linear = Linear("%s with %s folded in" % (self.label, bn.label),
                        "%s@%s" % (self.wname, bn.name), weight,
                        "%s@%s" % (bname, bn.name), bias)
        linear.act = self.act
        return linear

    @staticmethod
    def of_module(name, module, label):
        prefix = name + "." if name else ""
        check_linear(module, label)
        return Linear("nn.Linear '%s'" % (name or "<root>"),
                      prefix + "weight", module.weight,
                      prefix + "bias" if module.bias is not None else None,
                      module.bias)


class BatchNorm:
    """An nn.BatchNorm1d at inference: y = x * scale + shift per feature,
    from its running statistics. fold_batchnorms folds it into the linear
    layer next to it."""

    def __init__(self, name, label, scale, shift):
        self.name, self.label, self.scale, self.shift = name, label, scale, shift

    @staticmethod
    def of_module(name, module, label):
        import torch
        # In eval mode PyTorch normalizes by the running statistics whenever
        # the module holds them, whatever track_running_stats says now.
        if module.running_mean is None or module.running_var is None:
            raise ExportError("module %s has no running statistics "
                              "(track_running_stats=False): at inference it "
                              "normalizes by each batch's own, which no "
                              "linear layer can hold" % label)
        var = module.running_var.detach().double()
        scale = 1.0 / torch.sqrt(var + module.eps)
        if module.weight is not None:
            scale = scale * module.weight.detach().double()
        shift = -module.running_mean.detach().double() * scale
        if module.bias is not None:
            shift = shift + module.bias.detach().double()
        return BatchNorm(name, label, scale, shift)


def fold_batchnorms(steps):
    """The steps with each BatchNorm folded, in float64, into the linear
    layer just before it (when no activation comes between: its output
    scaled and shifted) or else just after it (its input's): the exported
    tensors are named KEY@BN, the layer's state_dict key and the
    BatchNorm's module path."""
    import torch
    out = []
    pending = None
    for step in steps:
        if isinstance(step, BatchNorm):
            prev = out[-1] if out else None
            if pending is None and isinstance(prev, Linear) and \
                    prev.act is None:
                if step.scale.numel() != prev.out_features:
                    raise ExportError("module %s normalizes %d features, "
                                      "but %s gives %d"
                                      % (step.label, step.scale.numel(),
                                         prev.label, prev.out_features))
                out[-1] = prev.folded(
                    step, prev.weight.detach().double() * step.scale[:, None],
                    (prev.bias_or_zero() * step.scale) + step.shift)
                continue
            if pending is not None:
                raise ExportError("module %s follows module %s with no "
                                  "linear layer between; tp-mlir folds a "
                                  "BatchNorm1d into the linear layer next "
                                  "to it" % (step.label, pending.label))
            pending = step
            continue
        if pending is not None:
            if not isinstance(step, Linear):
                raise ExportError("module %s is followed by %s, not a "
                                  "linear layer, and has none just before "
                                  "it either; tp-mlir folds a BatchNorm1d "
                                  "into the linear layer next to it, with "
                                  "no activation between"
                                  % (pending.label, step[1]))
            if pending.scale.numel() != step.in_features:
                raise ExportError("module %s normalizes %d features, but %s "
                                  "takes %d" % (pending.label,
                                                pending.scale.numel(),
                                                step.label, step.in_features))
            weight = step.weight.detach().double()
            step = step.folded(pending, weight * pending.scale[None, :],
                               step.bias_or_zero() +
                               torch.mv(weight, pending.shift))
            pending = None
        if isinstance(step, tuple) and step[0] == "activation":
            add_activation(out, step[1])
        else:
            out.append(step)
    if pending is not None:
        raise ExportError("module %s ends the chain; tp-mlir folds a "
                          "BatchNorm1d into the linear layer next to it"
                          % pending.label)
    return out


def add_activation(steps, act):
    """Fuses `act` into the linear layer just before it, if that layer has
    none yet; otherwise it is a step of its own."""
    if steps and isinstance(steps[-1], Linear) and steps[-1].act is None:
        steps[-1].act = act
    else:
        steps.append(("activation", act))


def check_no_softmax_before(steps, label):
    """Refuses a flatten or reshape after a softmax: there the input may
    have more than 2 dims, and PyTorch normalized over one of them, where
    the exported chain would normalize each flattened row."""
    for step in steps:
        if isinstance(step, tuple) and step[0] == "softmax":
            raise ExportError(
                "%s flattens or reshapes a value after a %s: on an input of "
                "more than 2 dims the %s normalized over one of its dims, "
                "which a chain of (batch, features) values cannot express "
                "(it would normalize each flattened row); on a 2-D input "
                "the reshape changes nothing: remove it"
                % (label, step[1], step[1]))


def check_flatten(start_dim, end_dim, label):
    if (start_dim, end_dim) != (1, -1):
        raise ExportError("%s flattens dims %d..%d; only a 2-D input's "
                          "flatten(1, -1) is supported"
                          % (label, start_dim, end_dim))


def module_step(steps, name, module, label):
    """Appends what the leaf `module` computes to `steps`; refuses a module
    tp-mlir chains do not have."""
    import torch.nn as nn
    kind = type(module).__name__
    if isinstance(module, nn.Linear):
        check_plain(module, nn.Linear, label)
        steps.append(Linear.of_module(name, module, label))
        return
    act = activation_kind(module)
    if act is not None:
        check_plain(module, getattr(nn, kind), label)
        add_activation(steps, act)
        return
    if kind in SOFTMAXES and isinstance(module, getattr(nn, kind)):
        check_plain(module, getattr(nn, kind), label)
        steps.append(softmax_step(SOFTMAXES[kind], module.dim, None,
                                  "module " + label))
        return
    if isinstance(module, nn.BatchNorm1d):
        check_plain(module, nn.BatchNorm1d, label)
        steps.append(BatchNorm.of_module(name, module, label))
        return
    if kind in DROPPED and isinstance(module, getattr(nn, kind)):
        check_plain(module, getattr(nn, kind), label)
        if kind == "Flatten":
            check_flatten(module.start_dim, module.end_dim, "module " + label)
            check_no_softmax_before(steps, "module " + label)
        return
    where = type(module).__module__
    if "quantized" in where.split("."):
        raise ExportError("module %s is a quantized layer (%s.%s); tp-mlir "
                          "computes in float32: export the model as it was "
                          "before quantization" % (label, where, kind))
    if not where.startswith("torch.nn.") and hasattr(nn, kind):
        label = "%s, of %s, not torch.nn's" % (label, where)
    raise ExportError("module %s is not supported: tp-mlir chains hold %s"
                      % (label, SUPPORTED))


def layers_of(model):
    """The chain as a list of Linear and ("activation", kind) steps."""
    import torch
    import torch.nn as nn
    if isinstance(model, torch.jit.ScriptModule):
        raise ExportError("the model is a TorchScript module, which "
                          "tp-export-torch does not read: export the module "
                          "it was scripted from")
    # A plain nn.Sequential of torch.nn's modules (or subclasses of the
    # layers it takes, whose forward check_plain compares) is read from its
    # entries; anything else has its forward() traced.
    leaves = list(flatten(model)) if type(model) is nn.Sequential else None
    if leaves is not None and all(
            type(m).__module__.startswith("torch.nn.") or
            isinstance(m, nn.Linear) or activation_kind(m) is not None
            for _, m in leaves):
        check_plain(model, nn.Sequential, "'<root>' (Sequential)")
        steps = []
        for name, module in leaves:
            module_step(steps, name, module,
                        "'%s' (%s)" % (name or "<root>",
                                       type(module).__name__))
    else:
        steps = traced_steps(model)
    steps = fold_batchnorms(steps)
    if not any(isinstance(s, Linear) for s in steps):
        raise ExportError("the model has no nn.Linear")
    return steps


def traced_steps(model):
    """The chain of a module other than a plain nn.Sequential, from its
    forward() as torch.fx traces it. Every step must take the value before
    it and nothing else, and be an nn.Linear (the module, or F.linear of
    tensors the model holds), a supported activation (module, function or
    tensor method), a dropout (an identity at inference), or a flatten or
    reshape that keeps a 2-D input as it is (view(-1, n), view(x.size(0),
    -1), flatten(1)); the sizes such a reshape reads are not steps."""
    import operator
    import re
    import torch
    import torch.fx
    import torch.nn.functional as F
    for name, module in model.named_modules():
        # Parameter containers are never called: forward() reads their
        # tensors (self.ws[0]), which the trace shows as get_attr.
        if isinstance(module, (torch.nn.ParameterList,
                               torch.nn.ParameterDict)):
            continue
        check_runs_as_written(module, "'%s' (%s)" % (name or "<root>",
                                                    type(module).__name__))
    what = type(model).__name__
    # Parameters of forward() after the input that have defaults (a flag,
    # an optional tensor) are traced at them, as model(x) calls it.
    defaults = {}
    try:
        parameters = list(inspect.signature(model.forward).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    for p in parameters[1:]:
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and \
                p.default is not p.empty:
            defaults[p.name] = p.default
    # export() runs this in eval mode: branches on self.training take the
    # eval side, and F.dropout(x, p, self.training) is a dropout that is
    # off.
    try:
        graph = torch.fx.symbolic_trace(
            model, concrete_args=defaults or None).graph
    except Exception as e:
        raise ExportError(
            "the model is a %s, not an nn.Sequential, and torch.fx cannot "
            "trace its forward() (%s: %s); tp-export-torch takes a chain of "
            "nn.Linear and activations" % (what, type(e).__name__,
                                           one_line(e))) from e
    # The in-place forms (relu_, x.tanh_(), ...) compute the same: a step
    # of a chain takes only the step before it (below), so nothing reads
    # the value they overwrite.
    functions = {F.relu: "relu", torch.relu: "relu", F.relu_: "relu",
                 torch.relu_: "relu", F.silu: "silu",
                 torch.tanh: "tanh", torch.sigmoid: "sigmoid"}
    for alias in ("tanh", "sigmoid"):
        if hasattr(F, alias):
            functions[getattr(F, alias)] = alias
        if hasattr(torch, alias + "_"):
            functions[getattr(torch, alias + "_")] = alias
    methods = {"relu": "relu", "tanh": "tanh", "sigmoid": "sigmoid",
               "relu_": "relu", "tanh_": "tanh", "sigmoid_": "sigmoid"}
    # The functions with parameters: kind, and (name, default) of each
    # parameter after the input, in PyTorch's order.
    parameterized_functions = {
        F.leaky_relu: ("leaky_relu", [("negative_slope", 0.01)]),
        F.elu: ("elu", [("alpha", 1.0)]),
        F.selu: ("selu", []),
        torch.selu: ("selu", []),
        F.softplus: ("softplus", [("beta", 1.0), ("threshold", 20.0)]),
        F.hardtanh: ("hardtanh", [("min_val", -1.0), ("max_val", 1.0)]),
        F.relu6: ("hardtanh", []),  # hardtanh(0, 6), below
        F.hardsigmoid: ("hardsigmoid", []),
        F.hardswish: ("hardswish", []),
    }
    if hasattr(F, "mish"):
        parameterized_functions[F.mish] = ("mish", [])
    for name, form in (("elu_", F.elu), ("leaky_relu_", F.leaky_relu),
                       ("hardtanh_", F.hardtanh), ("selu_", F.selu)):
        for where in (F, torch):
            if hasattr(where, name):
                parameterized_functions[getattr(where, name)] = \
                    parameterized_functions[form]
    # Each with the position of its dtype argument.
    softmaxes = {F.softmax: ("softmax", 3), F.log_softmax: ("log_softmax", 3),
                 torch.softmax: ("softmax", 2),
                 torch.log_softmax: ("log_softmax", 2),
                 torch.Tensor.softmax: ("softmax", 2),
                 torch.Tensor.log_softmax: ("log_softmax", 2)}
    special = getattr(torch, "special", None)
    for alias in ("softmax", "log_softmax"):
        if hasattr(special, alias):
            softmaxes[getattr(special, alias)] = (alias, 2)
    reshapes = {"view", "reshape"}
    # Each leaves a float32 CPU value as it is (tp-mlir computes in
    # float32, as it reads a float64 model).
    identities = {"contiguous", "float", "double", "cpu", "cuda", "detach",
                  "clone"}
    kept_dtypes = (torch.float32, torch.float64)

    def text(node):
        """The node as the call forward() makes, cut at 100 characters."""
        def show(v):
            if isinstance(v, torch.fx.Node):
                return v.name
            if isinstance(v, (list, tuple)):
                return "(%s)" % ", ".join(show(e) for e in v)
            return repr(v)
        args = [show(v) for v in node.args] + \
            ["%s=%s" % (k, show(v)) for k, v in node.kwargs.items()]
        if node.op == "call_method":
            call = "%s.%s(%s)" % (args[0], node.target, ", ".join(args[1:]))
        elif node.op == "call_module":
            call = "self.%s(%s)" % (node.target, ", ".join(args))
        else:
            call = "%s(%s)" % (getattr(node.target, "__name__",
                                       str(node.target)), ", ".join(args))
        return call if len(call) <= 100 else call[:97] + "..."

    def is_size(node):
        """x.size(0), x.shape[0], x.dim() and the like, read only by
        reshapes (or not at all)."""
        if not isinstance(node, torch.fx.Node):
            return False
        if node.op == "call_method":
            query = node.target in ("size", "dim")
        elif node.op == "call_function" and node.target is getattr:
            query = node.args[1] == "shape"
        elif node.op == "call_function" and node.target is operator.getitem:
            source = node.args[0]
            query = isinstance(source, torch.fx.Node) and (
                (source.op == "call_method" and source.target == "size" and
                 len(source.args) == 1) or
                (source.op == "call_function" and source.target is getattr
                 and source.args[1] == "shape"))
        else:
            query = False
        return query and all(
            (u.op == "call_method" and u.target in reshapes) or
            (u.op == "call_function" and u.target is torch.reshape) or
            is_size(u) for u in node.users)

    def is_placement(node):
        """A tensor's device or dtype (self.fc.weight.device), read only
        by .to() calls."""
        return isinstance(node, torch.fx.Node) and \
            node.op == "call_function" and node.target is getattr and \
            node.args[1] in ("device", "dtype") and \
            all(u.op == "call_method" and u.target == "to"
                for u in node.users)

    def move(node):
        """Whether x.to(...) only moves the value (a device, a dtype of
        kept_dtypes, copy or non_blocking), which leaves it as it is."""
        for v in list(node.args[1:]) + list(node.kwargs.values()):
            if isinstance(v, torch.fx.Node):
                if not is_placement(v):
                    return False
                if v.args[1] == "dtype":
                    owner = v.args[0]
                    if owner.op != "get_attr" or \
                            held(owner).dtype not in kept_dtypes:
                        return False
            elif isinstance(v, torch.dtype):
                if v not in kept_dtypes:
                    return False
            elif not isinstance(v, (str, torch.device, bool, type(None))):
                return False
        return True

    def held(node):
        """What the model holds at a get_attr node's path."""
        value = model
        for part in node.target.split("."):
            value = getattr(value, part)
        return value

    def tensor(node, role, label):
        """The name (its state_dict key, for a parameter or a persistent
        buffer) and value of the tensor that a get_attr node reads."""
        if node is None:
            return None, None
        if getattr(node, "op", None) != "get_attr":
            raise ExportError("%s.forward() passes %s a %s computed in "
                              "forward(); only tensors the model holds can "
                              "be exported" % (what, label, role))
        value = held(node)
        if not isinstance(value, torch.Tensor):
            raise ExportError("%s.forward() passes %s a %s '%s' that is a "
                              "%s, not a tensor" % (what, label, role,
                                                    node.target,
                                                    type(value).__name__))
        return node.target, value

    def arg(node, index, name, default):
        if name in node.kwargs:
            return node.kwargs[name]
        return node.args[index] if len(node.args) > index else default

    def new_shape(node):
        """The shape a view or reshape asks for, as a list ([] for one it
        computes)."""
        shape = node.kwargs["shape"] if "shape" in node.kwargs else \
            list(node.args[1:])
        if isinstance(shape, (list, tuple)) and len(shape) == 1 and \
                isinstance(shape[0], (list, tuple)):
            shape = shape[0]
        return list(shape) if isinstance(shape, (list, tuple)) else []

    def is_batch(node):
        """Dim 0 of a value of the chain (each holds the batch there):
        x.size(0), x.size(dim=0), x.shape[0] or x.size()[0], -2 for 0
        included; not another dim, x.dim(), nor a size of a tensor the
        model holds."""
        def chain_value(v):
            return isinstance(v, torch.fx.Node) and v.op != "get_attr"
        if not isinstance(node, torch.fx.Node):
            return False
        if node.op == "call_method" and node.target == "size":
            dim = node.args[1] if len(node.args) > 1 else \
                node.kwargs.get("dim")
            return chain_value(node.args[0]) and type(dim) is int and \
                dim in (0, -2)
        if node.op == "call_function" and node.target is operator.getitem:
            source, index = node.args[0], node.args[1]
            if type(index) is not int or index not in (0, -2) or \
                    not isinstance(source, torch.fx.Node):
                return False
            if source.op == "call_method" and source.target == "size":
                return len(source.args) == 1 and not source.kwargs and \
                    chain_value(source.args[0])
            return source.op == "call_function" and \
                source.target is getattr and source.args[1] == "shape" and \
                chain_value(source.args[0])
        return False

    def keeps_2d(shape):
        """(batch, features) of a 2-D value: the batch -1 or read from a
        value of the chain (is_batch), the features -1 or a count."""
        if len(shape) != 2 or shape == [-1, -1]:
            return False
        return (shape[0] == -1 or is_batch(shape[0])) and \
            (shape[1] == -1 or (isinstance(shape[1], int) and shape[1] > 0))

    # A parameter traced at its default is a placeholder that only the
    # trace's checks of that value read.
    specialized = set()
    for n in graph.nodes:
        if n.op == "placeholder" and re.sub(r"_\d+$", "", n.target) in \
                defaults:
            pending = [n]
            while pending:
                m = pending.pop()
                specialized.add(m)
                pending.extend(u for u in m.users if u not in specialized)
    if any(m.op in ("call_module", "output") for m in specialized):
        specialized = set()
    inputs = [n for n in graph.nodes if n.op == "placeholder" and
              n not in specialized]
    if len(inputs) != 1:
        raise ExportError("%s.forward() takes %d inputs; a chain takes one"
                          % (what, len(inputs)))
    def in_place(node):
        """Whether a step writes its result over the value it takes
        (F.relu_, x.tanh_(), inplace=True, a module built with
        inplace=True)."""
        if node.op == "call_module":
            return getattr(model.get_submodule(node.target), "inplace",
                           False) is True
        if node.op == "call_method":
            return node.target.endswith("_")
        if node.op != "call_function":
            return False
        if getattr(node.target, "__name__", "").endswith("_") or \
                node.kwargs.get("inplace") is True:
            return True
        try:
            bound = inspect.signature(node.target).bind(*node.args,
                                                        **node.kwargs)
        except (TypeError, ValueError):
            return False
        return bound.arguments.get("inplace") is True

    def view(node):
        """Whether a step returns its value itself or a view of it."""
        return node.op == "call_method" and node.target in identities or \
            node.op == "call_method" and node.target == "to" or \
            node.op == "call_function" and node.target is torch.flatten or \
            node.op == "call_method" and node.target == "flatten" or \
            node.op == "call_method" and node.target in reshapes or \
            node.op == "call_function" and node.target is torch.reshape

    # SiLU written out, x * torch.sigmoid(x) (a Swish): the sigmoid is
    # no step of its own, and the product is the activation.
    def is_sigmoid(node):
        return node.op == "call_function" and node.target in (
            torch.sigmoid, getattr(F, "sigmoid", None)) or \
            node.op == "call_method" and node.target == "sigmoid"
    swish_sigmoids, swishes = set(), {}
    for node in graph.nodes:
        if not is_sigmoid(node) or len(node.users) != 1 or \
                len(node.args) != 1 or node.kwargs:
            continue
        product = next(iter(node.users))
        if (product.op == "call_function" and
                product.target in (operator.mul, torch.mul) or
                product.op == "call_method" and product.target == "mul") \
                and not product.kwargs and len(product.args) == 2 and \
                set(product.args) == {node, node.args[0]}:
            swish_sigmoids.add(node)
            swishes[product] = node.args[0]

    current = inputs[0]
    # The nodes that hold the chain's value: the last step's, and the
    # values a step in place overwrote with it or views of it (forward()
    # may call F.relu_(h) and go on with h).
    holding = {current}
    steps = []
    for node in graph.nodes:
        if node.op in ("placeholder", "get_attr") or is_size(node) or \
                is_placement(node) or node in specialized or \
                node in swish_sigmoids:
            continue
        if node in swishes and swishes[node] in holding:
            add_activation(steps, "silu")
            current, holding = node, {node}
            continue
        if node.op == "output":
            if node.args[0] not in holding:
                raise ExportError("%s.forward() does not return the last "
                                  "value of its chain (it returns %s)"
                                  % (what, node.args[0]))
            break
        label = "'%s'" % node.name
        chained = [n for n in node.all_input_nodes
                   if n.op != "get_attr" and not is_size(n) and
                   not is_placement(n)]
        if not chained and any(n.op == "get_attr"
                               for n in node.all_input_nodes):
            raise ExportError(
                "%s.forward() computes %s (%s) from the model's tensors "
                "alone; a layer takes the tensors the model holds as they "
                "are (store a weight as F.linear takes it, out x in, rather "
                "than transposing or reshaping it in forward())"
                % (what, label, text(node)))
        if len(chained) != 1 or chained[0] not in holding:
            raise ExportError(
                "%s.forward() is not a chain: %s (%s) takes %s, where a "
                "step of a chain takes the step before it (%s) and nothing "
                "else computed in forward()"
                % (what, label, text(node),
                   ", ".join(n.name for n in chained) or "no value",
                   current.name))
        # Every step below takes the chain's value first.
        first = node.args[0] if node.args else node.kwargs.get("input")
        fn = node.target if node.op == "call_function" and \
            first in holding else None
        method = node.target if node.op == "call_method" else None
        if node.op == "call_module":
            module = model.get_submodule(node.target)
            module_step(steps, node.target, module,
                        "'%s' (%s)" % (node.target, type(module).__name__))
        elif fn in softmaxes or method in ("softmax", "log_softmax"):
            op, dtype_at = softmaxes[fn] if fn in softmaxes else (method, 2)
            where = "%s (%s)" % (label, text(node))
            dim = arg(node, 1, "dim", None)
            # Only torch.nn.functional's forms may leave the dim out.
            if fn not in (F.softmax, F.log_softmax) and dim is None:
                raise ExportError("%s is a %s without a dim, which PyTorch "
                                  "refuses; give dim=1" % (where, op))
            steps.append(softmax_step(op, dim,
                                      arg(node, dtype_at, "dtype", None),
                                      where))
        elif fn in functions or method in methods:
            add_activation(steps, functions.get(fn) or methods[method])
        elif fn in parameterized_functions:
            kind, params = parameterized_functions[fn]
            if fn is F.relu6:
                names, values = ["min_val", "max_val"], [0.0, 6.0]
            else:
                # Each parameter after the input, by position or name.
                names = [name for name, _ in params]
                values = [arg(node, i + 1, name, default)
                          for i, (name, default) in enumerate(params)]
            add_activation(steps, parameterized(
                kind, names, values, "%s (%s)" % (label, text(node))))
        elif fn is F.gelu:
            approximate = arg(node, 1, "approximate", "none")
            if approximate not in ("none", "tanh"):
                raise ExportError("gelu(approximate=%r) has no tp-mlir "
                                  "activation" % (approximate,))
            add_activation(steps,
                           "gelu_tanh" if approximate == "tanh" else "gelu")
        elif fn in (F.dropout, torch.dropout):
            # Traced in eval mode, F.dropout(x, p, self.training) is off;
            # F.dropout(x, p) (training defaults to True) is not.
            p = arg(node, 1, "p", 0.5)
            on = arg(node, 2, "training" if fn is F.dropout else "train",
                     True)
            if on is not False and p != 0:
                raise ExportError(
                    "%s.forward() computes %s (%s), a dropout that stays on "
                    "in eval mode (its training argument is %r); pass "
                    "training=self.training" % (what, label, text(node), on))
        elif method in identities:
            pass
        elif method == "to":
            if not move(node):
                raise ExportError(
                    "%s.forward() computes %s (%s), which converts the "
                    "chain's value; tp-mlir computes in float32, so only a "
                    "move to a device or to float32 or float64 can be "
                    "exported" % (what, label, text(node)))
        elif fn is F.linear:
            where = "linear " + label
            wname, weight = tensor(arg(node, 1, "weight", None), "weight",
                                   where)
            bname, bias = tensor(arg(node, 2, "bias", None), "bias", where)
            steps.append(Linear("F.linear %s of '%s'" % (label, wname),
                                wname, weight, bname, bias))
        elif fn is torch.flatten or method == "flatten":
            check_flatten(arg(node, 1, "start_dim", 0),
                          arg(node, 2, "end_dim", -1), label)
            check_no_softmax_before(steps, "%s (%s)" % (label, text(node)))
        elif method in reshapes or fn is torch.reshape:
            check_no_softmax_before(steps, "%s (%s)" % (label, text(node)))
            shape = new_shape(node)
            if not keeps_2d(shape):
                raise ExportError(
                    "%s.forward() reshapes a value of the chain (%s); "
                    "tp-mlir chains hold (batch, features) values, so only "
                    "reshapes that keep a 2-D value as it is, such as "
                    "view(-1, n), view(x.size(0), -1) or flatten(1), can be "
                    "exported" % (what, text(node)))
            linears = [s for s in steps if isinstance(s, Linear)]
            if linears and shape[1] not in (-1, linears[-1].out_features):
                raise ExportError("%s (%s) reshapes the chain's %d features "
                                  "to %d" % (label, text(node),
                                             linears[-1].out_features,
                                             shape[1]))
        else:
            raise ExportError(
                "%s.forward() computes %s (%s), which tp-mlir chains do not "
                "have: they hold nn.Linear (or F.linear of the model's "
                "tensors), nn.BatchNorm1d next to one, and the activations "
                "relu, gelu, silu, tanh, sigmoid, leaky_relu, elu, selu, "
                "softplus, mish, hardtanh, relu6, hardsigmoid, hardswish, "
                "softmax and log_softmax" % (what, label, text(node)))
        current = node
        holding = holding | {node} if in_place(node) or view(node) else \
            {node}
    return steps


def check_linear(linear, label):
    """Refuses an nn.Linear without features."""
    if linear.in_features < 1 or linear.out_features < 1:
        raise ExportError("nn.Linear %s has %d in and %d out features; a "
                          "layer needs at least one of each"
                          % (label, linear.in_features, linear.out_features))


def check_linear_tensors(weight, bias, label):
    """Refuses weights the safetensors file cannot hold as they are."""
    import torch
    for what, t in (("weight", weight), ("bias", bias)):
        if t is None:
            continue
        if isinstance(t, torch.nn.parameter.UninitializedParameter):
            raise ExportError("%s is lazy and not initialized: run "
                              "the model once before exporting it" % label)
        if t.is_meta:
            raise ExportError("the %s of %s is on the meta device "
                              "and has no values" % (what, label))
        if t.is_complex() or not t.is_floating_point():
            raise ExportError("the %s of %s is %s; tp-mlir models "
                              "are real (float32)" % (what, label, t.dtype))
        if t.dtype != torch.float32:
            # Written as float32: a finite value past its range would be
            # written as an infinity.
            src = t.detach()
            over = torch.isinf(src.float()) & torch.isfinite(src)
            if bool(over.any()):
                raise ExportError("the %s of %s (%s) holds %r, beyond "
                                  "float32's range (about 3.4e38), where "
                                  "tp-mlir computes"
                                  % (what, label, t.dtype,
                                     src[over].flatten()[0].item()))
    if weight.dim() != 2 or min(weight.shape) < 1:
        raise ExportError("the weight of %s has shape %s; a layer's weight "
                          "is out_features x in_features, each at least 1"
                          % (label, list(weight.shape)))
    if bias is not None and list(bias.shape) != [weight.shape[0]]:
        raise ExportError("the bias of %s has shape %s; it needs %d "
                          "elements, one per output feature"
                          % (label, list(bias.shape), weight.shape[0]))


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
    """Writes `model` (a chain: an nn.Sequential, or a module whose
    forward() traces to one) at inference as tp IR to `mlir_path` and its
    weights to `weights_path`. Returns the number of layers.

    The model is read in eval mode and without autograd, as model.eval()
    runs it (a parametrized weight, such as spectral_norm's, is computed as
    at inference); its modes are restored after."""
    import torch
    if not isinstance(model, torch.nn.Module):
        raise ExportError("the model is an object of type %s, not a "
                          "torch.nn.Module" % type(model).__name__)
    model = with_weights_made_permanent(model)
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with torch.no_grad():
            return export_at_inference(model, mlir_path, weights_path, name)
    finally:
        for m, training in modes:
            m.training = training


def with_weights_made_permanent(model):
    """`model`, or a copy of it where each pruning, weight_norm and
    spectral_norm (the hook forms) is made permanent: each is a forward
    pre-hook that computes a weight from others before every call
    (weight_orig * weight_mask, g * v / |v|, weight_orig / sigma), and the
    copy holds the weight it computes at inference."""
    import copy
    import torch
    import torch.nn.utils.prune as prune
    from torch.nn.utils.spectral_norm import SpectralNorm
    from torch.nn.utils.weight_norm import WeightNorm
    kinds = (prune.BasePruningMethod, WeightNorm, SpectralNorm)
    if not any(isinstance(h, kinds) for m in model.modules()
               for h in m._forward_pre_hooks.values()):
        return model
    model = copy.deepcopy(model)
    model.eval()
    with torch.no_grad():
        for m in model.modules():
            for hook in list(m._forward_pre_hooks.values()):
                if isinstance(hook, prune.BasePruningMethod):
                    prune.remove(m, hook._tensor_name)
                elif isinstance(hook, WeightNorm):
                    torch.nn.utils.remove_weight_norm(m, hook.name)
                elif isinstance(hook, SpectralNorm):
                    torch.nn.utils.remove_spectral_norm(m, hook.name)
    return model


def export_at_inference(model, mlir_path, weights_path, name):
    steps = layers_of(model)
    args, body, tensors = [], [], []
    used = set()

    def unique(name):
        """`name`, or for a tensor that forward() uses again (a layer
        called twice), `name#2`, `name#3`...: each use is an argument of
        its own, so that each layer may be split its own way."""
        key, count = name, 1
        while key in used:
            count += 1
            key = "%s#%d" % (name, count)
        used.add(key)
        return key

    width = None
    value = "%x"
    for i, step in enumerate(steps):
        if not isinstance(step, Linear):
            if width is None:
                # An activation of the input: its width is the first
                # layer's.
                width = next(s.in_features for s in steps
                             if isinstance(s, Linear))
                args.append("%%x: tensor<?x%dxf32>" % width)
            op = "tp." + step[1] if step[0] == "softmax" else \
                "tp.activation " + step[1]
            body.append("  %%a%d = %s %s : tensor<?x%dxf32>"
                        % (i, op, value, width))
            value = "%%a%d" % i
            continue
        n, k = step.out_features, step.in_features
        if width is not None and width != k:
            raise ExportError("%s takes %d features, but the "
                              "layer before it gives %d" % (step.label, k,
                                                           width))
        if width is None:
            args.append("%%x: tensor<?x%dxf32>" % k)
        wname = unique(step.wname)
        args.append('%%w%d: tensor<%dx%dxf32> {tp.name = "%s"}'
                    % (i, n, k, mlir_string(wname)))
        tensors.append((wname, step.weight))
        operands = "%s, %%w%d" % (value, i)
        types = "tensor<?x%dxf32>, tensor<%dx%dxf32>" % (k, n, k)
        if step.bias is not None:
            bname = unique(step.bname)
            args.append('%%b%d: tensor<%dxf32> {tp.name = "%s"}'
                        % (i, n, mlir_string(bname)))
            tensors.append((bname, step.bias))
            operands += ", %%b%d" % i
            types += ", tensor<%dxf32>" % n
        fused = " activation(%s)" % step.act if step.act else ""
        body.append("  %%h%d = tp.linear %s%s : %s -> tensor<?x%dxf32>"
                    % (i, operands, fused, types, n))
        value = "%%h%d" % i
        width = n
    lines = ["// Exported from PyTorch by tp-export-torch: %d layers."
             % sum(1 for s in steps if isinstance(s, Linear)),
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
    return sum(1 for s in steps if isinstance(s, Linear))


def import_classes(path):
    """Makes the classes of the Python file `path` importable, for a
    whole-module file that names them: the file runs as a module named
    after it (so its `if __name__ == "__main__":` part does not), is
    registered under that name, and its classes are what the unpickler finds
    for `__main__.X`, where torch.save names the classes of a training
    script."""
    import inspect
    import types
    name = os.path.splitext(os.path.basename(path))[0]
    namespace = run_script(path, name)
    module = types.ModuleType(name)
    module.__dict__.update(namespace)
    sys.modules.setdefault(name, module)
    for key, value in namespace.items():
        if inspect.isclass(value):
            SCRIPT_CLASSES.setdefault(key, value)


def unwrapped(obj):
    """The model an nn.DataParallel (or DistributedDataParallel) wraps;
    anything else as it is."""
    import torch
    if isinstance(obj, (torch.nn.DataParallel,
                        torch.nn.parallel.DistributedDataParallel)):
        return obj.module
    return obj


def load_model(spec):
    import torch
    if ":" in spec and spec.rsplit(":", 1)[0].endswith(".py"):
        path, attr = spec.rsplit(":", 1)
        namespace = run_script(path, "<run_path>")
        if attr not in namespace:
            raise ExportError("%s defines no '%s'" % (path, attr))
        obj = namespace[attr]
        if callable(obj) and not isinstance(obj, torch.nn.Module):
            try:
                obj = obj()
            except (Exception, SystemExit) as e:
                raise ExportError("%s:%s() failed (%s: %s)"
                                  % (path, attr, type(e).__name__,
                                     one_line(e))) from e
        return unwrapped(obj)
    obj = unwrapped(torch_load(spec, "", weights_only=False))
    if isinstance(obj, dict):
        # A checkpoint that holds the module as one of its entries
        # ({"model": model, "epoch": 3}).
        modules = [k for k, v in obj.items()
                   if isinstance(v, torch.nn.Module)]
        if len(modules) == 1:
            return unwrapped(obj[modules[0]])
        if modules:
            raise ExportError("%s holds a dict with several modules (%s); "
                              "save the model alone (torch.save(model, "
                              "path))" % (spec, ", ".join(map(repr,
                                                               modules))))
        raise ExportError(
            "%s holds a state_dict, which has no layer order or activations; "
            "save the module itself (torch.save(model, path)), or pass "
            "FILE.py:NAME" % spec)
    return obj


class NotWeights(Exception):
    """A class that weights_pickle's unpickler does not make."""


def weights_pickle():
    """A pickle module whose unpickler makes only the classes that
    torch.load's weights_only mode allows (tensors, storages, OrderedDict,
    dtypes), sets, complex numbers, bytes and NumPy scalars, and reads
    every other plain value (numbers, strings, lists, tuples, dicts);
    None where this torch does not list its classes."""
    import codecs
    import pickle
    import types
    try:
        from torch._weights_only_unpickler import _get_allowed_globals
        allowed = dict(_get_allowed_globals())
    except (ImportError, AttributeError):
        return None
    # Protocol 2 names builtins __builtin__; bytes pickle through
    # _codecs.encode; a NumPy scalar (a loss logged as np.float64) through
    # its multiarray.scalar and dtype.
    for module in ("builtins", "__builtin__"):
        for kind in (set, frozenset, complex, bytearray):
            allowed["%s.%s" % (module, kind.__name__)] = kind
    allowed["_codecs.encode"] = codecs.encode
    try:
        import numpy
        from numpy.core.multiarray import scalar
        for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
            allowed[module + ".scalar"] = scalar
        allowed["numpy.dtype"] = numpy.dtype
    except ImportError:
        pass

    class Unpickler(pickle.Unpickler):
        def find_class(self, module, name):
            key = "%s.%s" % (module, name)
            if key in allowed:
                return allowed[key]
            raise NotWeights(key)

    restricted = types.ModuleType("tp_weights_pickle")
    restricted.__dict__.update(
        {k: v for k, v in pickle.__dict__.items() if not k.startswith("__")})
    restricted.Unpickler = Unpickler
    restricted.load = lambda f, **kw: Unpickler(f, **kw).load()
    return restricted


def torch_load(path, what, weights_only):
    """torch.load of `path` on the CPU, its failures as ExportErrors."""
    import inspect
    import pickle
    import torch
    check_file(path)
    options = {"map_location": "cpu"}
    if "weights_only" in inspect.signature(torch.load).parameters:
        options["weights_only"] = weights_only
    # A training script's torch.save names its classes `__main__.X`: while
    # loading, __main__ is a module of the --classes files' classes, so that
    # the unpickler finds those and never the exporter's own names.
    import types
    main = sys.modules["__main__"]
    scripts = types.ModuleType("__main__")
    scripts.__dict__.update(SCRIPT_CLASSES)
    sys.modules["__main__"] = scripts
    try:
        try:
            return torch.load(path, **options)
        except pickle.UnpicklingError as e:
            restricted = weights_pickle()
            if not (weights_only and restricted and
                    "Weights only load failed" in str(e)):
                raise
            # torch 1.13's weights-only unpickler refuses every float (a
            # training checkpoint's loss, its optimizer's lr): read it
            # again with an unpickler that makes the same classes only.
            # torch.load unpickles with torch.serialization's `pickle`
            # (Debian's 1.13 ignores pickle_module without weights_only).
            import torch.serialization as serialization
            options["weights_only"] = False
            saved = serialization.pickle
            serialization.pickle = restricted
            try:
                return torch.load(path, **options)
            finally:
                serialization.pickle = saved
    except NotWeights as e:
        raise ExportError(
            "cannot load %s%s: it holds an object of the class %s, and a "
            "state_dict is read with tensors, NumPy scalars and plain "
            "values only (if it is a whole module, save "
            "model.state_dict() instead)" % (what, path, e)) from e
    except pickle.UnpicklingError as e:
        if weights_only and "Weights only load failed" in str(e):
            raise ExportError(
                "cannot load %s%s: it holds more than tensors (a whole "
                "module saved with torch.save(model)?); save "
                "model.state_dict() instead" % (what, path)) from e
        raise ExportError("cannot load %s%s: it is not a file torch.save "
                          "wrote, or it is damaged (%s: %s)"
                          % (what, path, type(e).__name__, one_line(e))) \
            from e
    except (AttributeError, ImportError) as e:
        if weights_only:
            raise ExportError("cannot load %s%s: %s"
                              % (what, path, one_line(e))) from e
        # The pickle names a class, or a module, that is not importable
        # here.
        raise ExportError(
            "cannot load %s%s: %s; a module whose class is defined in a "
            "script needs that class: name the script with --classes "
            "FILE.py, or pass it as FILE.py:CLASS with the trained weights "
            "as --state-dict FILE (torch.save(model.state_dict(), FILE))"
            % (what, path, one_line(e))) from e
    except Exception as e:
        raise ExportError("cannot load %s%s: it is not a file torch.save "
                          "wrote, or it is damaged (%s: %s)"
                          % (what, path, type(e).__name__, one_line(e))) \
            from e
    finally:
        sys.modules["__main__"] = main


def load_state_dict(model, path):
    """Loads the state_dict in `path` into `model`, every key matched."""
    import torch
    if not isinstance(model, torch.nn.Module):
        raise ExportError("--state-dict needs a torch.nn.Module, the model "
                          "is an object of type %s" % type(model).__name__)
    state = torch_load(path, "the state_dict ", weights_only=True)
    if not isinstance(state, dict):
        raise ExportError("%s holds a %s, not a state_dict"
                          % (path, type(state).__name__))
    # A training checkpoint ({"epoch": ..., "model_state_dict": {...}})
    # holds the state_dict as one entry; nn.DataParallel saves every key
    # under "module.".
    if not any(isinstance(v, torch.Tensor) for v in state.values()):
        for key in ("model_state_dict", "state_dict", "model"):
            if isinstance(state.get(key), dict):
                state = state[key]
                break
    own = model.state_dict()
    if not all(isinstance(k, str) for k in state):
        raise ExportError("the state_dict %s has keys that are not "
                          "strings; a state_dict maps names to tensors"
                          % path)
    # nn.DataParallel saves every key under "module.", torch.compile
    # under "_orig_mod.", a training framework's wrapper under its
    # attribute ("model."); AveragedModel adds "n_averaged" beside
    # "module.". A prefix that every key the model does not have shares
    # is dropped, and keys beside it only if the rest then match exactly.
    for _ in range(3):
        if not state or any(k in own for k in state):
            break
        heads = {k.split(".", 1)[0] for k in state if "." in k}
        if len(heads) != 1:
            break
        head = heads.pop() + "."
        inner = {k[len(head):]: v for k, v in state.items()
                 if k.startswith(head)}
        if len(inner) != len(state) and set(inner) != set(own):
            break
        state = inner
    try:
        model.load_state_dict(state, strict=True)
    except Exception as e:
        raise ExportError("the state_dict %s does not fit the model: %s"
                          % (path, one_line(e))) from e


def same_file(a, b):
    """Whether paths `a` and `b` name one file: the same path once links are
    resolved, or two hard links to it."""
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_outputs(args):
    """The function's name is a C identifier (tp-compile declares it in C),
    and neither output is the model or the other output."""
    import re
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", args.name):
        raise ExportError("--name %r is not an identifier (letters, digits "
                          "and underscores, not starting with a digit)"
                          % args.name)
    # The names that tp-run and tp-compile refuse for an entry (Model::adopt
    # in lib/Driver/Model.cpp): the symbols of tp-mlir's compiled code and
    # of the libraries it links.
    for prefix in ("tp_rt_", "_mlir", "cblas_", "mgpu", "cublas", "nccl"):
        if args.name.startswith(prefix):
            raise ExportError("--name %s begins with '%s', which names symbols "
                              "of tp-mlir's compiled code and of the "
                              "libraries it links; choose another name"
                              % (args.name, prefix))
    if re.fullmatch(r"cu(da)?[A-Z].*", args.name) or args.name in (
            "malloc", "free", "calloc", "realloc", "aligned_alloc", "memcpy",
            "memmove", "memset", "abort", "exit", "erff", "expf", "exp2f",
            "expm1f", "tanhf", "logf", "log1pf", "sqrtf", "powf", "fmaf"):
        raise ExportError("--name %s is a function of the C library or of "
                          "CUDA that tp-mlir's compiled code calls; choose "
                          "another name" % args.name)
    model_file = args.model.rsplit(":", 1)[0] if ":" in args.model and \
        args.model.rsplit(":", 1)[0].endswith(".py") else args.model
    paths = [("-o", args.output), ("--weights", args.weights)]
    if same_file(args.output, args.weights):
        raise ExportError("-o and --weights are both '%s'; give two files"
                          % args.output)
    for option, path in paths:
        if same_file(path, model_file):
            raise ExportError("%s '%s' is the model being exported; it would "
                              "be overwritten" % (option, path))
        if args.state_dict and same_file(path, args.state_dict):
            raise ExportError("%s '%s' is the --state-dict being read; it "
                              "would be overwritten" % (option, path))
        for script in args.classes:
            if same_file(path, script):
                raise ExportError("%s '%s' is a --classes file; it would be "
                                  "overwritten" % (option, path))
        if os.path.isdir(path):
            raise ExportError("%s '%s' is a directory" % (option, path))


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="tp-export-torch",
        description="Export a PyTorch chain of nn.Linear layers and "
                    "activations (an nn.Sequential, or a module whose "
                    "forward() torch.fx traces to one) to a tp-mlir model "
                    "and its weights.")
    parser.add_argument("model", help="a torch.save'd module, or FILE.py:NAME")
    parser.add_argument("-o", "--output", required=True,
                        help="the model .mlir to write")
    parser.add_argument("--weights", required=True,
                        help="the .safetensors file to write")
    parser.add_argument("--name", default="model",
                        help="the function's name (default: model)")
    parser.add_argument("--classes", metavar="FILE.py", action="append",
                        default=[],
                        help="a Python file that defines the classes a "
                        "whole-module file names (the training script); its "
                        "`if __name__ == '__main__':` part does not run; "
                        "may be repeated")
    parser.add_argument("--state-dict", metavar="FILE",
                        help="load this state_dict (torch.save(model."
                        "state_dict(), FILE)) into the model first, for "
                        "example into a FILE.py:NAME that builds it "
                        "untrained")
    args = parser.parse_args(argv)
    try:
        import torch  # noqa: F401
    except ImportError:
        print("tp-export-torch: error: PyTorch is not installed (Debian: "
              "apt-get install python3-torch)", file=sys.stderr)
        return 1
    try:
        check_outputs(args)
        for path in args.classes:
            import_classes(path)
        model = load_model(args.model)
        if args.state_dict:
            load_state_dict(model, args.state_dict)
        layers = export(model, args.output, args.weights, args.name)
    except ExportError as e:
        print("tp-export-torch: error: %s" % one_line(e), file=sys.stderr)
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
