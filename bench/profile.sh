#!/usr/bin/env bash
# Where a chain's run time goes: samples tp-run with perf (the JIT's code
# named through LLVM's perf jitdump) and sorts them into the generated
# matmul's microkernel, its operand packs and result unpack, OpenBLAS,
# the generated epilogues (bias, activation, copies), the runtime's
# collectives and synchronization, libc and the kernel. Compiling, placing
# the tensors and the random weights (untimed in tp-run) come before the
# first sample of generated code, and are left out of the shares.
#   bash bench/profile.sh [--layers L] [--width W] [--batch B] [--devices D]
#                         [--strategy S] [--iterations N]
# Defaults: the benchmark's 8 x 1024 chain with bias and ReLU, batch 256,
# D = 1, the planner's plan, iterations for about 5 s of run at 100
# GFLOP/s per device, so that setup's samples stay few. Inside the
# generated matmul, the microkernel is each run of FMAs (the register
# tile's loop over K); the rest is packing, unpacking and the like.
# OPENBLAS_CORETYPE and
# OPENBLAS_L2_SIZE pin OpenBLAS to a slow kernel on some machines; they
# are unset here, for this run only.
set -euo pipefail
cd "$(dirname "$0")/.."
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
layers=8 width=1024 batch=256 devices=1 strategy=auto iterations=
while [ $# -gt 0 ]; do
  case "$1" in
    --layers) layers=$2 ;;
    --width) width=$2 ;;
    --batch) batch=$2 ;;
    --devices) devices=$2 ;;
    --strategy) strategy=$2 ;;
    --iterations) iterations=$2 ;;
    *) echo "profile.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done
if [ -z "$iterations" ]; then
  iterations=$(python3 -c "print(max(3, round(5e11 * $devices / (2 * $batch * $width * $width * $layers))))")
fi
if ! command -v perf >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends linux-perf >/dev/null
fi
work=$(mktemp -d)
trap '[ -n "${PROFILE_KEEP:-}" ] || rm -rf "$work"' EXIT
# perf's build-id cache (copies of every library sampled, a gigabyte with
# LLVM's) goes with the rest, not into ~/.debug: perf keeps it under $HOME.
perf() { HOME="$work" command perf "$@"; }
# The batch static, as in tp-bench's chains: a dynamic batch's kernels keep
# a BLAS branch for a single row, which reads W as it is, so their weights
# are not packed ahead (docs/design.md).
python3 bench/gen_chain.py "$layers" "$width" "$devices" relu |
  sed "s/?x/${batch}x/g" > "$work/chain.mlir"
echo "date: $(date -u +%Y-%m-%d), machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "chain: ${layers} x ${width}, bias and ReLU, batch $batch, D = $devices, strategy $strategy, $iterations iterations"
if ! JITDUMPDIR="$work" perf record -q -N -k 1 -o "$work/perf.data" \
  build/bin/tp-run "$work/chain.mlir" --devices "$devices" --batch "$batch" \
  --strategy "$strategy" --iterations "$iterations" --warmup 2 > "$work/run.txt" 2>&1; then
  cat "$work/run.txt" >&2
  echo "profile.sh: the profiled run failed" >&2
  exit 1
fi
grep -E "^partitioned|ran on" "$work/run.txt"
perf inject --jit -i "$work/perf.data" -o "$work/jit.data" 2>/dev/null
perf script -i "$work/jit.data" -F time,ip,sym,dso 2>/dev/null > "$work/samples.txt"
# The generated matmuls' instructions (one kernel per shape), for the
# split inside them.
mkdir "$work/annotate"
for sym in $(grep -o ' tp_matmul[_0-9]* (' "$work/samples.txt" | cut -d' ' -f2 | sort -u); do
  perf annotate -i "$work/jit.data" --stdio -s "$sym" 2>/dev/null \
    > "$work/annotate/$sym" || true
done
python3 - "$work/samples.txt" "$work/annotate" <<'PY'
import os
import re, sys

def category(dso, sym):
    """Where a sample of the run goes."""
    if dso.startswith("jitted-"):
        return "generated epilogues and copies"
    if "openblas" in dso:
        return "OpenBLAS"
    if re.search(r"Communicator|ThreadGroup|allReduce|allGather|reduceScatter|"
                 r"allToAll|tp_rt_|barrier|Barrier|spin|sched|yield|futex|"
                 r"wait|_raw_spin|syscall", sym):
        return "collectives, synchronization and waiting"
    if dso == "[kernel.kallsyms]":
        return "kernel (page faults and the rest)"
    if re.search(r"memcpy|memmove|memset|malloc|free|_int_", sym):
        return "libc copies, fills and allocation"
    return "other"

# The run starts at the first sample of generated code: compiling, placing
# the tensors and the random weights come before it.
samples = []
for line in open(sys.argv[1]):
    m = re.match(r"\s*([0-9.]+):\s+[0-9a-f]+\s+(.*)\s+\((.*)\)\s*$", line)
    if m:
        samples.append((float(m.group(1)), m.group(2).strip(),
                        os.path.basename(m.group(3))))
start = min((t for t, _, dso in samples if dso.startswith("jitted-")),
            default=0.0)
shares, matmuls = {}, {}
untimed, each = 0, 100.0 / max(len(samples), 1)
for t, sym, dso in samples:
    if t < start:
        untimed += 1
        continue
    if re.fullmatch(r"tp_matmul(_[0-9]+)*", sym):
        matmuls[sym] = matmuls.get(sym, 0.0) + each
        continue
    c = category(dso, sym)
    shares[c] = shares.get(c, 0.0) + each

def add(name, pct):
    shares[name] = shares.get(name, 0.0) + pct

# Split each generated matmul: its broadcast-FMA loop against the rest.
for sym, pct in matmuls.items():
    rows = []
    path = os.path.join(sys.argv[2], sym)
    for line in open(path) if os.path.exists(path) else []:
        m = re.match(r"\s+([0-9.]+)\s+:\s+([0-9a-f]+):\s+(.*)", line)
        if m:
            rows.append((int(m.group(2), 16), float(m.group(1)), m.group(3)))
    fmas = sorted(a for a, _, ins in rows if "vfmadd" in ins)
    if not fmas:
        add("generated matmul (not split: no FMAs found)", pct)
        continue
    # Each loop over K is a run of FMAs a few instructions apart (two of
    # them where the first block of K starts from the fill's value).
    spans = [[fmas[0], fmas[0]]]
    for a in fmas[1:]:
        if a - spans[-1][1] <= 0x40:
            spans[-1][1] = a
        else:
            spans.append([a, a])
    total = sum(p for _, p, _ in rows) or 1.0
    kernel = sum(p for a, p, _ in rows
                 if any(lo - 0x20 <= a <= hi + 0x20 for lo, hi in spans)) / total
    add("generated matmul: microkernel", pct * kernel)
    add("generated matmul: packs, unpack and the rest", pct * (1 - kernel))

timed = sum(shares.values())
print(f"\n| where | share of the run's samples |")
print("|---|---|")
for name, pct in sorted(shares.items(), key=lambda kv: -kv[1]):
    print(f"| {name} | {100 * pct / timed:.1f}% |")
print(f"\n(compiling and setup, before the first sample of generated code, "
      f"left out: {untimed * each:.1f}% of all samples)")
PY
