#!/usr/bin/env python3
"""Writes a model-level tp chain of N dense layers to stdout.

Usage: gen_chain.py LAYERS [WIDTH] [DEVICES] [ACTIVATION]

Layer i maps WIDTH to WIDTH features with a bias and an activation that
cycles through the kinds, so the partitioner sees every case, or with
ACTIVATION on every layer.
"""
import sys


def main():
    layers = int(sys.argv[1])
    width = int(sys.argv[2]) if len(sys.argv) > 2 else 64
    devices = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    acts = ["relu", "gelu", "silu", "tanh", "sigmoid", "gelu_tanh", "identity"]
    if len(sys.argv) > 4:
        acts = [sys.argv[4]]
    t = f"tensor<?x{width}xf32>"
    w = f"tensor<{width}x{width}xf32>"
    b = f"tensor<{width}xf32>"
    out = [f"module attributes {{tp.mesh = #tp.mesh<shape = [{devices}]>}} {{"]
    args = [f"%x: {t}"]
    for i in range(layers):
        args.append(f'%w{i}: {w} {{tp.name = "l{i}.weight"}}')
        args.append(f'%b{i}: {b} {{tp.name = "l{i}.bias"}}')
    out.append(f"  func.func @chain({', '.join(args)}) -> {t} {{")
    value = "%x"
    for i in range(layers):
        act = acts[i % len(acts)]
        fused = f" activation({act})" if act != "identity" else ""
        out.append(f"    %h{i} = tp.linear {value}, %w{i}, %b{i}{fused} : {t}, {w}, {b} -> {t}")
        value = f"%h{i}"
    out.append(f"    return {value} : {t}")
    out.append("  }")
    out.append("}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
