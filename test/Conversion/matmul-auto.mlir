// matmul=auto, the CPU's default: generated code for the local matmuls
// whose in- and out-features are both at least 256, sgemm for the others;
// tp-tile-matmuls' min-features is what leaves the narrow ones.
// RUN: tp-opt %s --tp-to-llvm-pipeline | FileCheck %s --check-prefix=AUTO
// RUN: tp-opt %s --tp-to-llvm-pipeline="matmul=auto" | FileCheck %s --check-prefix=AUTO
// RUN: tp-opt %s --convert-tp-to-linalg --tp-tile-matmuls="vector-lanes=8 min-features=256" | FileCheck %s --check-prefix=TILE
// RUN: tp-opt %s --convert-tp-to-linalg --tp-tile-matmuls="vector-lanes=8" | FileCheck %s --check-prefix=CODEGEN
// RUN: not tp-opt %s --tp-tile-matmuls="min-features=-1" 2>&1 | FileCheck %s --check-prefix=NEG

// AUTO-DAG: llvm.call @tp_matmul(
// AUTO-DAG: llvm.call @tp_rt_matmul_nt_overwrite(
// AUTO-DAG: llvm.func internal @tp_matmul(
// The dynamic batch's kernel writes the buffer its caller passes, in both
// branches, and returns nothing (no copy of the result); its single-row
// branch is sgemv with beta = 0.
// AUTO: llvm.func internal @tp_matmul_1({{[^>]*}}) attributes
// AUTO: llvm.call @tp_rt_matmul_nt_overwrite(

// Only the 256 x 256 layer is packed; the 8 x 256 one stays a matmul.
// TILE-LABEL: func.func @wide_then_narrow
// TILE: call @tp_matmul(
// TILE: linalg.matmul {{.*}} -> tensor<4x8xf32>
// A narrow plain matmul (W stored K x N), which BLAS does not take here, is
// generated all the same: left, it would become scalar loops.
// TILE-LABEL: func.func @plain_narrow
// TILE-NOT: linalg.matmul
// TILE: call @tp_matmul_0(

// A single row (a batch of 1) is a matrix-vector product: left to BLAS
// (sgemv) when static, and chosen on each call when the batch is dynamic.
// TILE-LABEL: func.func @dynamic_batch
// TILE: call @tp_matmul_1(
// TILE-LABEL: func.func @batch_one
// TILE-NOT: call @tp_matmul
// TILE: linalg.matmul {{.*}} -> tensor<1x512xf32>

// TILE-LABEL: func.func private @tp_matmul(
// TILE: vector.contract
// TILE-LABEL: func.func private @tp_matmul_1(
// TILE: %[[ROWS:.*]] = tensor.dim %arg0, %c0
// TILE: %[[ONE:.*]] = arith.cmpi eq, %[[ROWS]], %c1
// TILE: scf.if %[[ONE]]
// TILE: linalg.matmul {{.*}} {tp.left_to_blas} ins(%arg0, %arg1
// TILE: } else {
// TILE: vector.contract

// With matmul=codegen every matmul is generated, a single row included.
// CODEGEN-LABEL: func.func @batch_one
// CODEGEN: call @tp_matmul_3(
// CODEGEN-LABEL: func.func private @tp_matmul_2(
// CODEGEN-NOT: scf.if
// CODEGEN: vector.contract

// NEG: error: min-features must be 0 or positive, got -1
module attributes {tp.mesh = #tp.mesh<shape = [1]>} {
  func.func @wide_then_narrow(%x: tensor<4x256xf32>, %w0: tensor<256x256xf32>, %w1: tensor<8x256xf32>) -> tensor<4x8xf32> attributes {tp.spmd} {
    %0 = tp.local_linear %x, %w0 activation(relu) : tensor<4x256xf32>, tensor<256x256xf32> -> tensor<4x256xf32>
    %1 = tp.local_linear %0, %w1 : tensor<4x256xf32>, tensor<8x256xf32> -> tensor<4x8xf32>
    return %1 : tensor<4x8xf32>
  }
  func.func @plain_narrow(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> tensor<4x8xf32> {
    %zero = arith.constant 0.0 : f32
    %e = tensor.empty() : tensor<4x8xf32>
    %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
    %m = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x8xf32>) outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
    return %m : tensor<4x8xf32>
  }
  func.func @dynamic_batch(%x: tensor<?x256xf32>, %w: tensor<512x256xf32>) -> tensor<?x512xf32> attributes {tp.spmd} {
    %0 = tp.local_linear %x, %w activation(relu) : tensor<?x256xf32>, tensor<512x256xf32> -> tensor<?x512xf32>
    return %0 : tensor<?x512xf32>
  }
  func.func @batch_one(%x: tensor<1x256xf32>, %w: tensor<512x256xf32>) -> tensor<1x512xf32> attributes {tp.spmd} {
    %0 = tp.local_linear %x, %w activation(relu) : tensor<1x256xf32>, tensor<512x256xf32> -> tensor<1x512xf32>
    return %0 : tensor<1x512xf32>
  }
}
