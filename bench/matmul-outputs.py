"""Where matmul=auto's size line falls: the local GEMM y[m x n] = x[m x k]
W[n x k]^T of a one-layer model, split along the batch (each rank m rows,
W whole), at D = 2 and D = 1 on the threads backend, with --matmul blas,
codegen and auto. Reports the layer's compute time (the GEMM, bias and
activation) from tp-run's per-layer table, the best of N interleaved
rounds, and blas / codegen (above 1: the generated matmul is faster).
auto should follow the faster of the two: the generated matmul while the
result over all ranks stays under 2^21 elements (kAutoCodegenMaxOutputs),
sgemm from there."""
import argparse
import itertools
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import planner  # noqa: E402  (model() and run())

SHAPES = {
    2: (list(itertools.product([256, 1024], [1024, 4096],
                               [256, 512, 1024, 2048]))),
    1: (list(itertools.product([1024], [1024, 4096], [256, 1024, 2048]))),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=2)
    opts = ap.parse_args()
    work = tempfile.mkdtemp(prefix="tp-matmul-outputs-")
    print("layer compute ms, best of", opts.rounds, "interleaved rounds")
    print()
    print("| D | m | n | k | outputs over D | blas | codegen | auto "
          "| blas / codegen | auto took |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for d, shapes in SHAPES.items():
        planner.DEVICES = d
        for k, n, m in shapes:
            path = os.path.join(work, f"l_{k}_{n}.mlir")
            with open(path, "w") as f:
                f.write(planner.model([k, n], ["batch"]))
            iterations = max(3, min(200, int(3e8 / (2 * m * n * k))))
            best = {}
            for _ in range(opts.rounds):
                for lowering in ("blas", "codegen", "auto"):
                    _, out = planner.run(path, d * m, ["--matmul", lowering],
                                         iterations, warmup=2)
                    row = [line for line in out.splitlines()
                           if line.strip().startswith(path)][0].split()
                    best[lowering] = min(best.get(lowering, 1e9),
                                         float(row[1]))
            outputs = d * m * n
            took = "blas" if outputs >= (1 << 21) else "codegen"
            print(f"| {d} | {m} | {n} | {k} | {outputs / 2**20:.2f}M "
                  f"| {best['blas']:.3f} | {best['codegen']:.3f} "
                  f"| {best['auto']:.3f} "
                  f"| {best['blas'] / best['codegen']:.2f} | {took} |",
                  flush=True)


if __name__ == "__main__":
    main()
