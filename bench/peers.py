#!/usr/bin/env python3
"""The benchmark chains in PyTorch and in JAX/XLA, for comparison with tp-mlir.

  peers.py torch THREADS   nn.Sequential(Linear, ReLU, ...) with
                           torch.set_num_threads(THREADS), inference mode
  peers.py jax DEVICES     the chain jit-compiled by XLA on DEVICES host
                           devices, weights sharded with jax.sharding in
                           Megatron's pairing (out-features, then
                           in-features), left to XLA's SPMD partitioner

Prints markdown table rows: | chain | implementation | ms | GFLOP/s |
Each figure is the median of several runs after a warm-up.
"""
import os
import statistics
import sys
import time

CHAINS = [(4, 4096, 1024), (8, 1024, 256)]  # layers, width, batch


def median_seconds(fn, reps):
    fn()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def row(layers, width, batch, impl, seconds):
    gflop = 2.0 * layers * batch * width * width / 1e9
    print(f"| {layers}x{width} batch {batch} | {impl} | {seconds * 1e3:.2f} "
          f"| {gflop / seconds:.1f} |", flush=True)


def run_torch(threads):
    # Debian's torch runs its matmuls in OpenBLAS, whose own threads
    # torch.set_num_threads does not limit: set both.
    os.environ["OPENBLAS_NUM_THREADS"] = str(threads)
    os.environ["OMP_NUM_THREADS"] = str(threads)
    import torch
    torch.set_num_threads(threads)
    for layers, width, batch in CHAINS:
        mods = []
        for _ in range(layers):
            mods += [torch.nn.Linear(width, width), torch.nn.ReLU()]
        model = torch.nn.Sequential(*mods).eval()
        x = torch.rand(batch, width) * 2 - 1
        with torch.inference_mode():
            s = median_seconds(lambda: model(x), 3 if width == 4096 else 9)
        row(layers, width, batch,
            f"PyTorch {torch.__version__}, {threads} thread(s)", s)


def run_jax(devices):
    os.environ["XLA_FLAGS"] = (
        f"--xla_force_host_platform_device_count={devices}")
    import jax
    import jax.numpy as jnp
    from jax.sharding import Mesh, NamedSharding, PartitionSpec as P
    import numpy as np
    mesh = Mesh(np.array(jax.devices()[:devices]), ("tp",))
    rng = np.random.default_rng(0)
    for layers, width, batch in CHAINS:
        scale = 1.0 / np.sqrt(width)
        ws, bs = [], []
        for i in range(layers):
            w = rng.uniform(-scale, scale, (width, width)).astype(np.float32)
            b = rng.uniform(-scale, scale, (width,)).astype(np.float32)
            # Megatron: even layers split the output features (rows of W),
            # odd layers the input features (columns of W).
            spec = P("tp", None) if i % 2 == 0 else P(None, "tp")
            bspec = P("tp") if i % 2 == 0 else P(None)
            ws.append(jax.device_put(w, NamedSharding(mesh, spec)))
            bs.append(jax.device_put(b, NamedSharding(mesh, bspec)))
        x = jax.device_put(
            rng.uniform(-1, 1, (batch, width)).astype(np.float32),
            NamedSharding(mesh, P(None, None)))

        @jax.jit
        def forward(x, ws, bs):
            for w, b in zip(ws, bs):
                x = jax.nn.relu(x @ w.T + b)
            return x

        s = median_seconds(lambda: forward(x, ws, bs).block_until_ready(),
                           3 if width == 4096 else 9)
        row(layers, width, batch,
            f"JAX/XLA {jax.__version__}, {devices} host device(s), "
            "jax.sharding", s)


if __name__ == "__main__":
    what, n = sys.argv[1], int(sys.argv[2])
    run_torch(n) if what == "torch" else run_jax(n)
