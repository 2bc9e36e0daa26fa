// REQUIRES: gpu-backend
// RUN: tp-opt %s --tp-to-gpu-pipeline | FileCheck %s
// RUN: tp-opt %s --tp-to-gpu-pipeline="matmul=codegen format=isa" | FileCheck %s --check-prefix=CODEGEN
// RUN: tp-opt %s --tp-to-gpu-pipeline="profile=true" | FileCheck %s --check-prefix=PROFILE

// Every kernel's PTX is accepted by the toolkit's ptxas for sm_90, and the
// cubins the pipeline embeds are CUDA ELF objects.
// RUN: rm -rf %t && mkdir -p %t
// RUN: tp-opt %s --tp-to-gpu-pipeline="matmul=codegen format=isa" -o %t/isa.mlir
// RUN: %python %S/../Inputs/gpu-objects.py %t/isa.mlir %t/ptx > %t/ptx.list
// RUN: for f in $(cat %t/ptx.list); do %ptxas -arch=sm_90 $f -o $f.cubin || exit 1; done
// RUN: wc -l < %t/ptx.list | FileCheck %s --check-prefix=NPTX
// RUN: tp-opt %s --tp-to-gpu-pipeline -o %t/bin.mlir
// RUN: %python %S/../Inputs/gpu-objects.py %t/bin.mlir %t/bin | FileCheck %s --check-prefix=CUBIN
// RUN: readelf -h %t/bin/chain_kernel.0.cubin | FileCheck %s --check-prefix=ELF

// Options that cannot be honoured are errors. A toolkit that is not there
// is refused before anything runs: upstream's NVVM target reports it, but
// on a module whose kernels need no libdevice it then makes the cubin
// without it and exits 0 (Inputs/spmd-copy-only.mlir).
// RUN: not tp-opt %s --tp-to-gpu-pipeline="toolkit=%t/none" 2>&1 | FileCheck %s --check-prefix=TOOLKIT
// RUN: not tp-opt %S/../Inputs/spmd-copy-only.mlir --tp-to-gpu-pipeline="toolkit=%t/none" 2>&1 | FileCheck %s --check-prefix=TOOLKIT
// The target is checked against LLVM's NVPTX tables first: upstream's
// passes crash on an empty chip, go on to a ptxas failure after a warning
// on an unknown one, and report an unknown format but exit 0.
// RUN: not tp-opt %s --tp-to-gpu-pipeline="chip=sm_12" 2>&1 | FileCheck %s --check-prefix=CHIP
// RUN: not tp-opt %s --tp-to-gpu-pipeline="chip=" 2>&1 | FileCheck %s --check-prefix=EMPTYCHIP
// RUN: not tp-opt %s --tp-to-gpu-pipeline="format=foo" 2>&1 | FileCheck %s --check-prefix=FORMAT
// RUN: not tp-opt %s --tp-to-gpu-pipeline="opt-level=9" 2>&1 | FileCheck %s --check-prefix=OPTLEVEL
// RUN: not tp-opt %s --tp-to-gpu-pipeline="features=+ptx9999" 2>&1 | FileCheck %s --check-prefix=FEATURE
// RUN: not tp-opt %s --tp-to-gpu-pipeline="features=ptx80" 2>&1 | FileCheck %s --check-prefix=UNSIGNED
// A chip newer than the PTX asked for stopped LLVM's code generator with a
// fatal error; the chip's default PTX (features=) compiles.
// RUN: not tp-opt %s --tp-to-gpu-pipeline="chip=sm_100a" 2>&1 | FileCheck %s --check-prefix=PTX
// RUN: tp-opt %s --tp-to-gpu-pipeline="chip=sm_100a features= format=isa" | FileCheck %s --check-prefix=PTXDEFAULT
// RUN: not tp-opt %S/lowering-nested-invalid.mlir --tp-to-gpu-pipeline 2>&1 | FileCheck %s --check-prefix=NESTED
// RUN: not tp-opt %s --tp-to-gpu-pipeline="matmul=tensorcore" 2>&1 | FileCheck %s --check-prefix=MATMUL

// Tests the whole GPU lowering of a column/row pair and an activation
// cuBLASLt has no epilogue for: the host side reaches the LLVM dialect and
// allocates through the GPU runtime (device memory), the matmuls call
// cuBLASLt with their epilogues, the collective calls the GPU runtime, and
// what is left (bias and relu after the reduction, silu) runs as kernels
// in a cubin.
// CHECK-NOT: linalg.
// CHECK-NOT: = tp.
// CHECK-DAG: llvm.func @_mlir_memref_to_llvm_alloc(i64) -> !llvm.ptr
// CHECK-DAG: llvm.func @_mlir_ciface_tp_gpu_all_reduce(!llvm.ptr, !llvm.ptr, i32)
// CHECK-DAG: llvm.func @_mlir_ciface_tp_gpu_matmul_nt_bias(!llvm.ptr, !llvm.ptr, !llvm.ptr, !llvm.ptr, i32)
// CHECK-DAG: llvm.func @_mlir_ciface_tp_gpu_matmul_nt(!llvm.ptr, !llvm.ptr, !llvm.ptr, i32)
// CHECK: llvm.func @chain(
// CHECK: llvm.call @tp_gpu_matmul_nt_bias(
// CHECK: llvm.call @tp_gpu_matmul_nt(
// CHECK: llvm.call @tp_gpu_all_reduce(
// CHECK: gpu.launch_func @chain_kernel::@chain_kernel
// CHECK: llvm.call @tp_gpu_matmul_nt(
// CHECK: gpu.launch_func @chain_kernel_0::@chain_kernel
// CHECK-NOT: gpu.launch_func
// CHECK: llvm.func @_mlir_ciface_chain(
// CHECK: gpu.binary @chain_kernel  [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">, {{.*}}bin = "\7FELF
// CHECK: gpu.binary @chain_kernel_0

// CODEGEN-NOT: tp_gpu_matmul
// CODEGEN: llvm.call @tp_gpu_all_reduce
// CODEGEN: gpu.binary @chain_kernel  [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">, {{.*}}assembly = "{{.*}}.target sm_90
// CODEGEN: gpu.binary {{.*}}assembly = "{{.*}}.shared .align 4 .b8 __wg_{{.*}}[1024]{{.*}}.shared .align 4 .b8 __wg_{{.*}}[1088]{{.*}}bar.sync

// PROFILE: llvm.func @chain({{.*}}tp.profile = ["compute {{.*}}", "compute {{.*}}", "communication {{.*}}", "compute {{.*}}", "compute {{.*}}"]
// PROFILE-COUNT-5: llvm.call @tp_rt_gpu_timer_begin

// NPTX: 9
// CUBIN: chain_kernel.0.cubin
// ELF: Machine: NVIDIA CUDA architecture
// TOOLKIT: error: tp-to-gpu-pipeline: toolkit '{{.*}}none' is not a directory; give the CUDA toolkit's root (its bin/ptxas makes the cubin), as
// TOOLKIT-NOT: CUDA path
// CHIP: error: tp-to-gpu-pipeline: chip 'sm_12' is not a GPU that LLVM's NVPTX target knows (sm_<compute capability>, such as sm_90)
// EMPTYCHIP: error: tp-to-gpu-pipeline: chip '' is not a GPU that LLVM's NVPTX target knows
// FORMAT: error: tp-to-gpu-pipeline: format 'foo' is not one of bin, fatbin, isa or llvm
// OPTLEVEL: error: tp-to-gpu-pipeline: opt-level must be 0, 1, 2 or 3, got 9
// OPTLEVEL-NOT: gpu.module
// FEATURE: error: tp-to-gpu-pipeline: feature '+ptx9999' is not +<a feature LLVM's NVPTX target knows>, such as +ptx80
// UNSIGNED: error: tp-to-gpu-pipeline: feature 'ptx80' is not +<a feature
// PTX: error: tp-to-gpu-pipeline: chip 'sm_100a' needs PTX 8.6 or later, but features asks for +ptx80; give features=+ptx86 (or features= for the chip's default)
// PTXDEFAULT: .target sm_100a
// NESTED: error: is a nested module with tp code; tp-to-gpu-pipeline lowers the functions of the module it runs on: run it on this one (--pass-pipeline='builtin.module(builtin.module(tp-to-gpu-pipeline))') or move the functions up
// MATMUL: unknown value 'tensorcore'; expected one of: blas, codegen, auto
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @chain(%x: tensor<4x8xf32>, %w0: tensor<3x8xf32>, %b0: tensor<3xf32>, %w1: tensor<8x3xf32>, %b1: tensor<8xf32>, %w2: tensor<5x8xf32>) -> tensor<4x5xf32> attributes {tp.spmd} {
    %0 = tp.local_linear %x, %w0, %b0 activation(gelu_tanh) : tensor<4x8xf32>, tensor<3x8xf32>, tensor<3xf32> -> tensor<4x3xf32>
    %1 = tp.local_linear %0, %w1 : tensor<4x3xf32>, tensor<8x3xf32> -> tensor<4x8xf32>
    %2 = tp.all_reduce sum %1 : tensor<4x8xf32>
    %3 = tp.bias_activation %2, %b1 activation(relu) : tensor<4x8xf32>, tensor<8xf32>
    %4 = tp.local_linear %3, %w2 activation(silu) : tensor<4x8xf32>, tensor<5x8xf32> -> tensor<4x5xf32>
    return %4 : tensor<4x5xf32>
  }
}
