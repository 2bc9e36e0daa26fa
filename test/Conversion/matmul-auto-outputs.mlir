// matmul=auto leaves a local matmul to BLAS when its result, times the
// devices of the mesh (the ranks that share the host's caches), has at
// least 2^21 elements: the generated matmul's packed result and unpack pass
// over it again, beyond the cache. tp-tile-matmuls' max-outputs is the rule.
// RUN: tp-opt %s --split-input-file --convert-tp-to-linalg --tp-tile-matmuls="vector-lanes=8 min-features=256 max-outputs=2097152" | FileCheck %s
// RUN: tp-opt %s --split-input-file --convert-tp-to-linalg --tp-tile-matmuls="vector-lanes=8 max-outputs=2097152" | FileCheck %s --check-prefix=ALONE
// RUN: tp-opt %s --split-input-file --tp-to-llvm-pipeline | FileCheck %s --check-prefix=AUTO
// RUN: tp-opt %s --split-input-file --tp-to-llvm-pipeline="matmul=codegen" | FileCheck %s --check-prefix=CODEGEN
// RUN: not tp-opt %s --split-input-file --tp-tile-matmuls="max-outputs=-1" 2>&1 | FileCheck %s --check-prefix=NEG

// Two devices: 1024 x 1024 outputs is 2^21 over both; 1023 rows are fewer.
// CHECK-LABEL: func.func @large
// CHECK-NOT: call @tp_matmul
// CHECK: linalg.matmul
// CHECK-LABEL: func.func @just_below
// CHECK: call @tp_matmul(
// A dynamic batch: BLAS takes one row, or 1024 and more (N = 1024, D = 2).
// CHECK-LABEL: func.func @dynamic
// CHECK: call @tp_matmul_0(
// CHECK-LABEL: func.func private @tp_matmul_0(
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C1024:.*]] = arith.constant 1024 : index
// CHECK: %[[ROWS:.*]] = tensor.dim %arg0, %c0
// CHECK: %[[ONE:.*]] = arith.cmpi eq, %[[ROWS]], %[[C1]]
// CHECK: %[[MANY:.*]] = arith.cmpi sge, %[[ROWS]], %[[C1024]]
// CHECK: %[[BLAS:.*]] = arith.ori %[[ONE]], %[[MANY]]
// CHECK: scf.if %[[BLAS]]
// CHECK: linalg.matmul {{.*}} {tp.left_to_blas}
// CHECK: } else {
// CHECK: vector.contract

// Without min-features, only the size rule: a dynamic batch's kernel tests
// the rows against 1024 alone.
// ALONE-LABEL: func.func @large
// ALONE-NOT: call @tp_matmul
// ALONE-LABEL: func.func @just_below
// ALONE: call @tp_matmul(
// ALONE-LABEL: func.func private @tp_matmul_0(
// ALONE-NOT: arith.cmpi eq
// ALONE: arith.cmpi sge, %{{.*}}, %c1024
// ALONE-NOT: arith.ori
// ALONE: scf.if

// The pipeline's auto: sgemm for the large result, the generated kernel
// for the one just below.
// AUTO: llvm.func @large(
// AUTO-NOT: llvm.call @tp_matmul
// AUTO: llvm.call @tp_rt_matmul_nt_overwrite(
// AUTO: llvm.func @just_below(
// AUTO: llvm.call @tp_matmul(
// CODEGEN: llvm.func @large(
// CODEGEN-NOT: tp_rt_matmul_nt
// CODEGEN: llvm.call @tp_matmul(
// CODEGEN: llvm.func @just_below(
// CODEGEN-NOT: tp_rt_matmul_nt
// CODEGEN: llvm.call @tp_matmul_0(

// NEG: error: max-outputs must be 0 or positive, got -1
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @large(%x: tensor<1024x1024xf32>, %w: tensor<1024x1024xf32>) -> tensor<1024x1024xf32> attributes {tp.spmd} {
    %0 = tp.local_linear %x, %w activation(relu) : tensor<1024x1024xf32>, tensor<1024x1024xf32> -> tensor<1024x1024xf32>
    return %0 : tensor<1024x1024xf32>
  }
  func.func @just_below(%x: tensor<1023x1024xf32>, %w: tensor<1024x1024xf32>) -> tensor<1023x1024xf32> attributes {tp.spmd} {
    %0 = tp.local_linear %x, %w activation(relu) : tensor<1023x1024xf32>, tensor<1024x1024xf32> -> tensor<1023x1024xf32>
    return %0 : tensor<1023x1024xf32>
  }
  func.func @dynamic(%x: tensor<?x1024xf32>, %w: tensor<1024x1024xf32>) -> tensor<?x1024xf32> attributes {tp.spmd} {
    %0 = tp.local_linear %x, %w activation(relu) : tensor<?x1024xf32>, tensor<1024x1024xf32> -> tensor<?x1024xf32>
    return %0 : tensor<?x1024xf32>
  }
}

// -----

// One device: the same 1024 x 1024 result is half the limit, and generated.
// CHECK-LABEL: func.func @large
// CHECK: call @tp_matmul(
// AUTO: llvm.func @large(
// AUTO: llvm.call @tp_matmul(
module attributes {tp.mesh = #tp.mesh<shape = [1]>} {
  func.func @large(%x: tensor<1024x1024xf32>, %w: tensor<1024x1024xf32>) -> tensor<1024x1024xf32> attributes {tp.spmd} {
    %0 = tp.local_linear %x, %w activation(relu) : tensor<1024x1024xf32>, tensor<1024x1024xf32> -> tensor<1024x1024xf32>
    return %0 : tensor<1024x1024xf32>
  }
}
