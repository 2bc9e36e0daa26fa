#!/usr/bin/env bash
# The GPU backend's benchmark, on a machine with a GPU and a built tree
# (bash scripts/build.sh; alone: bash bench/gpu.sh [ITERATIONS]):
#   - the 4x4096 chain at batch 1024 and the 8x8192 chain at batch 8192
#     (bench/gen_chain.py), on one GPU;
#   - tp-mlir D = 1 (cuBLASLt with fused epilogues, and the generated
#     matmul) against the same layers written directly on cuBLASLt with the
#     same epilogues (bench/gpu-baseline.cu), in the same command;
#   - PyTorch with CUDA, when its wheel installs here (bench/.venv-gpu);
#   - tp-mlir D = 2 and 4 on the same GPU (the single-device communicator),
#     to measure its overhead.
# The card, the driver and every figure are printed; docs/performance.md
# records them with this command.
set -euo pipefail
cd "$(dirname "$0")/.."
iterations=${1:-20}
build=build
out=$build/bench-gpu
mkdir -p "$out"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader || true
echo "date: $(date -u +%Y-%m-%d), host: $(nproc) cores"
$build/bin/tp-gpu-probe
"${NVCC:-/usr/local/cuda/bin/nvcc}" -O3 -arch=sm_90 -std=c++17 bench/gpu-baseline.cu -lcublasLt -o "$out/gpu-baseline"

# PyTorch with CUDA: the interpreter on PATH if it has it (GPU machines
# often come with it and without a network), else a virtual environment.
torch_python=""
has_cuda_torch() { "$1" -c "import torch; assert torch.cuda.is_available()" >/dev/null 2>&1; }
if has_cuda_torch python3; then
  torch_python=python3
else
  if [ ! -x bench/.venv-gpu/bin/python ]; then
    python3 -m venv bench/.venv-gpu >/dev/null 2>&1 || true
  fi
  if [ -x bench/.venv-gpu/bin/python ]; then
    if ! bench/.venv-gpu/bin/python -c "import torch" >/dev/null 2>&1; then
      timeout 300 bench/.venv-gpu/bin/pip install -q torch >/dev/null 2>&1 || true
    fi
    if has_cuda_torch bench/.venv-gpu/bin/python; then
      torch_python=bench/.venv-gpu/bin/python
    fi
  fi
fi
[ -n "$torch_python" ] || echo "PyTorch with CUDA: not installable here; left out"

ms_of() { sed -nE 's/.* in ([0-9.]+) ms per iteration.*/\1/p'; }

for spec in "4 4096 1024" "8 8192 8192"; do
  set -- $spec
  layers=$1 width=$2 batch=$3
  model=$out/chain-$layers-$width.mlir
  python3 bench/gen_chain.py "$layers" "$width" 1 > "$model"
  flops=$(python3 -c "print(2*$layers*$batch*$width*$width)")
  echo
  echo "== ${layers}x${width}, batch $batch ($(python3 -c "print(round($flops/1e9,1))") GFLOP per forward)"
  base=$("$out/gpu-baseline" "$layers" "$width" "$batch" "$iterations")
  echo "$base"
  base_ms=$(echo "$base" | sed -nE 's/.*: ([0-9.]+) ms per forward.*/\1/p')
  for config in "1 blas" "1 codegen" "2 blas" "4 blas"; do
    set -- $config
    d=$1 matmul=$2
    line=$($build/bin/tp-run "$model" --backend gpu --devices "$d" --strategy alternate \
      --matmul "$matmul" --batch "$batch" --iterations "$iterations" --warmup 3 | grep "ms per iteration")
    ms=$(echo "$line" | ms_of)
    echo "tp-mlir D=$d $matmul: $ms ms per forward, $(python3 -c "print(round($flops/$ms/1e9,1))") TFLOP/s, cuBLASLt direct / tp-mlir = $(python3 -c "print(round($base_ms/$ms,3))")x   [$line]"
  done
  if [ -n "$torch_python" ]; then
    $torch_python - "$layers" "$width" "$batch" "$iterations" "$base_ms" <<'PY'
import sys, time, torch
layers, width, batch, iters, base = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
torch.backends.cuda.matmul.allow_tf32 = False
acts = [torch.nn.ReLU(), torch.nn.GELU(), torch.nn.SiLU(), torch.nn.Tanh(), torch.nn.Sigmoid(), torch.nn.GELU(approximate="tanh"), torch.nn.Identity()]
mods = []
for i in range(layers):
    mods += [torch.nn.Linear(width, width), acts[i % len(acts)]]
model = torch.nn.Sequential(*mods).cuda().eval()
x = torch.randn(batch, width, device="cuda")
with torch.no_grad():
    for _ in range(3):
        model(x); torch.cuda.synchronize()
    ms = []
    for _ in range(iters):
        t = time.perf_counter(); model(x); torch.cuda.synchronize(); ms.append(1e3 * (time.perf_counter() - t))
ms.sort(); m = ms[len(ms) // 2]
print(f"PyTorch {torch.__version__} (FP32, no TF32): {m:.3f} ms per forward; cuBLASLt direct / PyTorch = {base / m:.3f}x")
PY
  fi
done
