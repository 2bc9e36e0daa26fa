// RUN: tp-opt %s --tp-to-llvm-pipeline="matmul=blas" | FileCheck %s --check-prefix=BLAS
// RUN: tp-opt %s --tp-to-llvm-pipeline="matmul=blas" | FileCheck %s --check-prefix=SGEMM
// Below 256 features, auto (the default) is sgemm too.
// RUN: tp-opt %s --tp-to-llvm-pipeline | FileCheck %s --check-prefix=SGEMM
// RUN: tp-opt %s --tp-to-llvm-pipeline="matmul=codegen" | FileCheck %s --check-prefix=CODEGEN
// RUN: tp-opt %s --tp-to-llvm-pipeline="profile=true" | FileCheck %s --check-prefix=PROFILE
// RUN: tp-opt %s --tp-insert-profile-timers | FileCheck %s --check-prefix=TIMERS
// Timing twice (the pass by hand, then the pipeline's) times each op once.
// RUN: tp-opt %s --tp-insert-profile-timers --tp-to-llvm-pipeline="profile=true" | FileCheck %s --check-prefix=TWICE
// RUN: tp-opt %s --tp-to-llvm-pipeline | FileCheck %s --check-prefix=MATH --implicit-check-not=@erff --implicit-check-not=@fmaf
// RUN: tp-opt %s --tp-to-llvm-pipeline="approximate-math=false" | FileCheck %s --check-prefix=LIBM

// Tests the whole CPU lowering of a row/column pair: everything reaches the
// LLVM dialect, the entry point has a C interface, the matmuls call sgemm
// through the runtime (or become loops), and the collective calls the
// runtime.
// BLAS-NOT: linalg.
// BLAS-NOT: = tp.
// BLAS-DAG: llvm.func @_mlir_ciface_tp_rt_matmul_nt_overwrite(!llvm.ptr, !llvm.ptr, !llvm.ptr)
// BLAS-DAG: llvm.func @_mlir_ciface_tp_rt_all_reduce(!llvm.ptr, !llvm.ptr, i32)
// BLAS-DAG: llvm.func @_mlir_ciface_pair(
// The gelu's erf is a polynomial approximation, arithmetic that LLVM
// vectorizes (fma and floor as intrinsics), or a libm call.
// MATH: llvm.intr.fma
// LIBM: llvm.func @erff(f32) -> f32
// SGEMM-COUNT-2: llvm.call @tp_rt_matmul_nt_overwrite(
// CODEGEN-NOT: tp_rt_matmul_nt
// CODEGEN-DAG: llvm.func @_mlir_ciface_pair(
// CODEGEN-DAG: llvm.fmul
// CODEGEN-DAG: llvm.call @tp_rt_all_reduce(
// PROFILE: llvm.func @pair.packed({{.*}} attributes {tp.profile = ["compute {{.*}}tp-to-llvm-pipeline.mlir:{{[0-9]+}}", "compute {{.*}}tp-to-llvm-pipeline.mlir:{{[0-9]+}}", "communication {{.*}}tp-to-llvm-pipeline.mlir:{{[0-9]+}}", "compute {{.*}}tp-to-llvm-pipeline.mlir:{{[0-9]+}}"], tp.spmd}
// PROFILE-COUNT-4: llvm.call @tp_rt_timer_begin
// TWICE-COUNT-4: llvm.call @tp_rt_timer_begin
// TWICE-NOT: llvm.call @tp_rt_timer_begin
// TIMERS-LABEL: func.func @pair
// TIMERS: %[[ID0:.*]] = arith.constant 0 : i64
// TIMERS-NEXT: call @tp_rt_timer_begin(%[[ID0]]) : (i64) -> ()
// TIMERS-NEXT: tp.local_linear
// TIMERS-NEXT: call @tp_rt_timer_end(%[[ID0]]) : (i64) -> ()
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @pair(%x: tensor<4x8xf32>, %w0: tensor<3x8xf32>, %b0: tensor<3xf32>, %w1: tensor<8x3xf32>) -> tensor<4x8xf32> attributes {tp.spmd} {
    %0 = tp.local_linear %x, %w0, %b0 activation(gelu) : tensor<4x8xf32>, tensor<3x8xf32>, tensor<3xf32> -> tensor<4x3xf32>
    %1 = tp.local_linear %0, %w1 : tensor<4x3xf32>, tensor<8x3xf32> -> tensor<4x8xf32>
    %2 = tp.all_reduce sum %1 : tensor<4x8xf32>
    %3 = tp.bias_activation %2 activation(relu) : tensor<4x8xf32>
    return %3 : tensor<4x8xf32>
  }
}
