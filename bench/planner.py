#!/usr/bin/env python3
"""Validates the planner against measurement, on the threads backend, D = 2.

For each chain: the measured time per iteration of every uniform strategy
(row, column, alternate, replicated, batch), of hand-picked mixes, and of
--strategy auto; then the auto plan's predicted time per layer (--explain)
against the measured per-layer table of the same run. Finally a memory
limit that forces a different plan, with the peak RSS of each MPI rank.

Every configuration is run in rounds (interleaved, so that outside load on
this shared machine hits all alike) and the fastest round is kept.
Configurations whose per-layer splits are the same (auto's plan is often
a uniform strategy's) compile to the same program; their rounds are pooled
and each takes the fastest of them, since what they measure apart is
noise. Both figures are printed.

auto plans with a profile that `tp-run --calibrate` measures at the start
of the same command (--profile FILE takes one made before, --builtin the
built-in one): a profile from another hour or another machine predicts
another machine.

Usage: python3 bench/planner.py [--rounds N] [--quick] [--chains TEXT]
[--no-memory] [--profile FILE | --builtin]
(bench/planner.sh calls it with OpenBLAS unpinned.)
"""
import argparse
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TP_RUN = os.path.join(ROOT, "build", "bin", "tp-run")
DEVICES = 2

# (name, widths: input then each layer's output, batch)
CHAINS = [
    ("bench 4x4096", [4096] * 5, 1024),
    ("bench 8x1024", [1024] * 9, 256),
    ("wide, batch 8", [8192] * 4, 8),
    ("narrow, batch 8192", [256] * 5, 8192),
    ("batch 1, 4096", [4096] * 5, 1),
    ("batch 2048, 1024", [1024] * 5, 2048),
    ("6x2048, batch 64", [2048] * 7, 64),
    ("MLP block 1024-8192-1024, batch 32", [1024, 8192, 1024], 32),
    ("narrow-wide-narrow 256-8192-256, batch 512", [256, 8192, 256], 512),
    ("funnel 4096..256, batch 512", [4096, 2048, 1024, 512, 256], 512),
    ("width below D: 1024-1-1024, batch 512", [1024, 1, 1024, 1024], 512),
    ("uneven 1000-3000-777-3000, batch 333", [1000, 3000, 777, 3000], 333),
    ("deep narrow 12x128, batch 4096", [128] * 13, 4096),
    ("mixed 512-4096-512-4096-512, batch 128",
     [512, 4096, 512, 4096, 512], 128),
]
UNIFORM = ["row", "column", "alternate", "replicated", "batch"]
ACTS = ["relu", "gelu", "silu", "tanh"]


def model(widths, shardings=None):
    """A chain model; shardings (one per layer, or None) fixes layers."""
    n = len(widths) - 1
    args = [f"%x: tensor<?x{widths[0]}xf32>"]
    for i in range(n):
        args.append(f'%w{i}: tensor<{widths[i+1]}x{widths[i]}xf32> '
                    f'{{tp.name = "l{i}.weight"}}')
        args.append(f'%b{i}: tensor<{widths[i+1]}xf32> '
                    f'{{tp.name = "l{i}.bias"}}')
    lines = [f"func.func @chain({', '.join(args)}) "
             f"-> tensor<?x{widths[-1]}xf32> {{"]
    value = "%x"
    for i in range(n):
        s = f" sharding({shardings[i]})" if shardings else ""
        lines.append(
            f"  %h{i} = tp.linear {value}, %w{i}, %b{i} "
            f"activation({ACTS[i % len(ACTS)]}){s} : "
            f"tensor<?x{widths[i]}xf32>, tensor<{widths[i+1]}x{widths[i]}xf32>,"
            f" tensor<{widths[i+1]}xf32> -> tensor<?x{widths[i+1]}xf32>")
        value = f"%h{i}"
    lines.append(f"  return {value} : tensor<?x{widths[-1]}xf32>")
    lines.append("}")
    return "\n".join(lines) + "\n"


def mixes(n):
    """Hand-picked mixes of a chain of n layers: a batch-split half and a
    tensor-parallel half, both ways round, and Megatron pairs closed by a
    batch layer."""
    half = n // 2
    alt = ["row" if i % 2 == 0 else "column" for i in range(n)]
    out = {}
    if n >= 2:
        out["batch, then alternate"] = ["batch"] * half + alt[: n - half]
        out["alternate, then batch"] = alt[:half] + ["batch"] * (n - half)
    if n >= 3:
        out["pairs, last batch"] = alt[: n - 1] + ["batch"]
    return out


def run(path, batch, extra, iterations, warmup=1):
    cmd = [TP_RUN, path, "--devices", str(DEVICES), "--batch", str(batch),
           "--warmup", str(warmup), "--iterations", str(iterations)] + extra
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{p.stderr}")
    m = re.search(r"in ([0-9.]+) ms per iteration", p.stdout)
    return float(m.group(1)), p.stdout


def explain_table(text):
    """Predicted (compute + communication) ms per layer from --explain."""
    rows = []
    for line in text.splitlines():
        m = re.match(r"\s+(\d+)\s+\S+\s+(\w+)\s+([0-9.e+-]+)\s+([0-9.e+-]+)\s",
                     line)
        if m:
            rows.append((m.group(2), float(m.group(3)) + float(m.group(4))))
    return rows


def measured_table(text):
    """Measured (compute + communication) ms per layer from the report."""
    rows = []
    inside = False
    for line in text.splitlines():
        if line.strip().startswith("layer (source)"):
            inside = True
            continue
        if inside:
            if line.strip().startswith("total"):
                break
            parts = line.split()
            rows.append(float(parts[-2]) + float(parts[-1]))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--quick", action="store_true",
                    help="the first four chains only")
    ap.add_argument("--chains", metavar="TEXT",
                    help="only the chains whose name contains TEXT")
    ap.add_argument("--no-memory", action="store_true",
                    help="skip the memory-limit case")
    ap.add_argument("--profile", help="a machine profile made before")
    ap.add_argument("--builtin", action="store_true",
                    help="plan with the built-in profile")
    opts = ap.parse_args()
    chains = CHAINS[:4] if opts.quick else CHAINS
    if opts.chains:
        chains = [c for c in chains if opts.chains in c[0]]
        if not chains:
            sys.exit(f"planner.py: no chain's name contains '{opts.chains}'")
    tmp = tempfile.mkdtemp(prefix="tp-planner-bench-")
    profile = []
    if opts.profile:
        profile = ["--profile", opts.profile]
    elif not opts.builtin:
        path = os.path.join(tmp, "profile.json")
        p = subprocess.run([TP_RUN, "--calibrate", path], capture_output=True,
                           text=True)
        if p.returncode != 0:
            raise RuntimeError(f"tp-run --calibrate failed:\n{p.stderr}")
        print("calibrated this machine (tp-run --calibrate):")
        print("".join("  " + line + "\n" for line in p.stdout.splitlines()
                      if not line.startswith("wrote")))
        profile = ["--profile", path]
    print(f"planner validation: threads backend, D = {DEVICES}, best of "
          f"{opts.rounds} interleaved rounds; ms per iteration")
    summary = []
    errors = []
    for name, widths, batch in chains:
        n = len(widths) - 1
        configs = {s: (model(widths), ["--strategy", s]) for s in UNIFORM}
        # The per-layer splits of each configuration other than auto.
        plans = {s: [s] * n for s in ("row", "column", "replicated", "batch")}
        plans["alternate"] = ["row" if i % 2 == 0 else "column"
                              for i in range(n)]
        for mix, shardings in mixes(n).items():
            configs[mix] = (model(widths, shardings), [])
            plans[mix] = shardings
        configs["auto"] = (model(widths), ["--strategy", "auto"] + profile)
        paths = {}
        for key, (text, _) in configs.items():
            path = os.path.join(tmp, re.sub(r"\W+", "_", key) + ".mlir")
            with open(path, "w") as f:
                f.write(text)
            paths[key] = path
        # Iterations for about a second of work per configuration.
        t0, _ = run(paths["alternate"], batch, ["--strategy", "alternate"], 1,
                    warmup=0)
        iterations = max(3, min(400, int(1000 / max(t0, 0.05))))
        best = {k: float("inf") for k in configs}
        auto_text = ""
        for _ in range(opts.rounds):
            for key, (_, extra) in configs.items():
                more = ["--explain"] if key == "auto" else []
                t, out = run(paths[key], batch, extra + more, iterations)
                if t < best[key]:
                    best[key] = t
                    if key == "auto":
                        auto_text = out
        plan = explain_table(auto_text)
        measured = measured_table(auto_text)
        auto_plan = [c for c, _ in plan]
        plans["auto"] = auto_plan
        # Configurations with the same per-layer splits compile to the same
        # program: their rounds are samples of one program, and each takes
        # the best of them all (what they measure apart is noise).
        pooled = {k: min(best[o] for o in configs if plans[o] == plans[k])
                  for k in configs}
        uniform_best = min(UNIFORM, key=lambda s: pooled[s])
        hand_best = min((k for k in configs if k not in ("auto",)),
                        key=lambda k: pooled[k])
        ratio_uniform = pooled["auto"] / pooled[uniform_best]
        ratio_hand = pooled["auto"] / pooled[hand_best]
        print(f"\n{name}: widths {'-'.join(map(str, widths))}, batch {batch}, "
              f"{iterations} iterations")
        for key in configs:
            print(f"  {key:<24} {best[key]:10.3f}"
                  + (f"  (pooled {pooled[key]:.3f})"
                     if pooled[key] < best[key] else ""))
        same = [k for k, v in plans.items() if v == auto_plan and k != "auto"]
        print(f"  auto plan: {' '.join(auto_plan)}"
              + (f" (the same program as {', '.join(same)}: "
                 + ", ".join(f"auto / {k} {best['auto'] / best[k]:.3f}"
                             for k in same)
                 + ", which is measurement noise)" if same else ""))
        print(f"  auto / best uniform ({uniform_best}): {ratio_uniform:.3f}; "
              f"auto / best of all tried ({hand_best}): {ratio_hand:.3f}")
        layer_errors = []
        for i, ((choice, predicted), got) in enumerate(zip(plan, measured)):
            err = (predicted - got) / got if got > 0 else 0.0
            layer_errors.append(err)
            print(f"    layer {i} {choice:<10} predicted {predicted:9.3f} ms "
                  f"measured {got:9.3f} ms  error {100 * err:+6.1f}%")
        total_pred = sum(p for _, p in plan)
        total_meas = sum(measured)
        total_err = (total_pred - total_meas) / total_meas if total_meas else 0
        print(f"    total      predicted {total_pred:9.3f} ms measured "
              f"{total_meas:9.3f} ms  error {100 * total_err:+6.1f}%")
        errors.extend(layer_errors)
        summary.append((name, ratio_uniform, ratio_hand, total_err,
                        max((abs(e) for e in layer_errors), default=0)))

    print("\nsummary (auto / best uniform, auto / best tried, total and worst"
          " per-layer prediction error):")
    for name, ru, rh, te, worst in summary:
        print(f"  {name:<44} {ru:6.3f} {rh:6.3f} {100 * te:+7.1f}% "
              f"{100 * worst:6.1f}%")
    within = sum(1 for e in errors if abs(e) <= 0.25)
    print(f"  per-layer predictions within 25%: {within} of {len(errors)}")
    if opts.no_memory:
        shutil.rmtree(tmp, ignore_errors=True)
        return

    # A memory limit that forces a different plan: 4 x 2048 at batch 4096
    # splits the batch without a limit (every rank holds all 64 MiB of
    # weights); a limit below that plan's predicted peak forces layers to
    # split their weights. Peak RSS per rank is measured on MPI processes:
    # the share of it that tp-run reports since placing the tensors (the
    # process's code, MLIR, LLVM's JIT and MPI come before). Where heaptrack
    # is installed, the peak heap of each rank is measured too, less that
    # of the same run of a 1-layer 8 x 8 model: the model's tensors and
    # nothing else (not sgemm's packing buffer, which BLAS maps itself).
    widths, batch = [2048] * 5, 4096
    path = os.path.join(tmp, "memory.mlir")
    with open(path, "w") as f:
        f.write(model(widths))
    tiny = os.path.join(tmp, "tiny.mlir")
    with open(tiny, "w") as f:
        f.write(model([8, 8]))
    heaptrack = shutil.which("heaptrack")
    wrapper = os.path.join(tmp, "heaptrack-rank.sh")
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\nexec heaptrack -o \"$HEAP_OUT.$OMPI_COMM_WORLD_RANK\""
                " \"$@\" >/dev/null 2>&1\n")
    os.chmod(wrapper, 0o755)

    def mpi_run(model_path, run_batch, extra, heap=False):
        cmd = ["mpirun", "-np", str(DEVICES)] + ([wrapper] if heap else []) + [
            TP_RUN, model_path, "--backend", "mpi", "--batch", str(run_batch),
            "--iterations", "3"] + extra
        env = dict(os.environ, HEAP_OUT=os.path.join(tmp, "heap"))
        p = subprocess.run(cmd, capture_output=True, text=True, env=env)
        return p.returncode, p.stdout + p.stderr

    def rss(text):
        """Each rank's peak RSS since placing its tensors, MiB."""
        found = re.search(r"resident per process: (.*)", text).group(1)
        return [float(x) for x in re.findall(
            r"\(([0-9.]+) MiB of it since placing the tensors\)", found)]

    def heap(model_path, run_batch, extra):
        """Each rank's peak heap in MiB, under heaptrack."""
        mpi_run(model_path, run_batch, extra, heap=True)
        peaks = []
        for r in range(DEVICES):
            data = os.path.join(tmp, f"heap.{r}.zst")
            text = subprocess.run(["heaptrack_print", data],
                                  capture_output=True, text=True).stdout
            m = re.search(r"peak heap memory consumption: ([0-9.]+)([KMG]?)",
                          text)
            scale = {"": 1, "K": 1e3, "M": 1e6, "G": 1e9}[m.group(2)]
            peaks.append(float(m.group(1)) * scale / 2**20)
            os.remove(data)
        return peaks

    tiny_args = ["--strategy", "replicated"]
    base_heap = heap(tiny, 1, tiny_args) if heaptrack else None
    print(f"\nmemory limit: 4 x 2048 at batch 4096, MPI D = 2; per rank, "
          f"RSS since placing the tensors"
          + (f", heap less the process's own (an 8 x 8 model: "
             f"{', '.join(f'{b:.1f}' for b in base_heap)} MiB)"
             if base_heap else ""))
    args = ["--strategy", "auto", "--explain"] + profile
    rc, text = mpi_run(path, batch, args)
    peak = float(re.search(r"predicted .* peak ([0-9.]+) MiB per device",
                           text).group(1))
    runs = [(None, args, text)]
    # tp-run takes MPI's shared-memory segments out of a limit (it says
    # how much); a limit just above them fails with the smallest plan's
    # need. Half way between that need and the unlimited plan's peak,
    # plus the segments, forces another plan with room to spare.
    _, text = mpi_run(path, batch, args + ["--memory-limit",
                                           str(int(peak) + 64)])
    reserve = re.search(r"less ([0-9]+) MiB for", text)
    reserve = int(reserve.group(1)) if reserve else 0
    _, text = mpi_run(path, batch, args + ["--memory-limit",
                                           str(reserve + 1)])
    need = re.search(r"the smallest needs ([0-9.]+) MiB", text)
    smallest = float(need.group(1)) if need else peak
    if not need:
        print(f"  no smallest plan's need from a limit of {reserve + 1} "
              f"MiB:\n{text}")
    elif math.ceil((smallest + peak) / 2) < peak:
        limit = reserve + math.ceil((smallest + peak) / 2)
        limited = args + ["--memory-limit", str(limit)]
        rc, text = mpi_run(path, batch, limited)
        if rc == 0:
            runs.append((limit, limited, text))
        else:
            print(f"  limit {limit} MiB failed:\n{text}")
    else:
        print(f"  the unlimited plan ({peak} MiB) is within 1 MiB of the "
              f"smallest ({smallest} MiB): no limit forces another")
    for limit, run_args, text in runs:
        plan = " ".join(c for c, _ in explain_table(text))
        predicted = re.search(r"predicted .* peak ([0-9.]+ \w+) per device",
                              text).group(1)
        used = rss(text)
        t = re.search(r"in ([0-9.]+) ms per iteration", text).group(1)
        line = (f"  limit {str(limit) + ' MiB' if limit else 'none':<8} plan "
                f"{plan}; predicted peak {predicted}; RSS "
                f"{', '.join(f'{u:.1f}' for u in used)} MiB")
        if heaptrack:
            tensors = [h - b for h, b in
                       zip(heap(path, batch, run_args), base_heap)]
            line += f"; heap {', '.join(f'{u:.1f}' for u in tensors)} MiB"
        print(line + f"; {t} ms")
    if not heaptrack:
        print("  (install Debian's heaptrack to measure each rank's heap)")

if __name__ == "__main__":
    sys.exit(main())
