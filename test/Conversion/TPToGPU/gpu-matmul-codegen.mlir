// RUN: tp-opt %s --tp-gpu-matmul-codegen | FileCheck %s

// Tests the generated matmul kernel: C += A B^T as one gpu.launch with a
// 16 x 16 block per 16 x 16 tile of C (grid x over the rows of C, y over
// its columns), A and B staged tile by tile in workgroup memory (B's tile
// padded by a column), zero past the edges, and two barriers per K step.
// CHECK-LABEL: func.func @matmul
// CHECK-DAG: %[[C16:.*]] = arith.constant 16 : index
// CHECK-DAG: %[[M:.*]] = memref.dim %arg0, %{{.*}} : memref<?x70xf32>
// CHECK-DAG: %[[GX:.*]] = arith.ceildivui %[[M]], %[[C16]] : index
// CHECK-DAG: %[[GY:.*]] = arith.ceildivui %{{.*}}, %[[C16]] : index
// CHECK: gpu.launch blocks(%[[BX:[a-z0-9_]+]], %[[BY:[a-z0-9_]+]], %{{[a-z0-9_]+}}) in (%{{[a-z0-9_]+}} = %[[GX]], %{{[a-z0-9_]+}} = %[[GY]], %{{[a-z0-9_]+}} = %{{[a-z0-9_]+}}) threads(%[[TX:[a-z0-9_]+]], %[[TY:[a-z0-9_]+]], %{{[a-z0-9_]+}}) in (%{{[a-z0-9_]+}} = %[[C16]], %{{[a-z0-9_]+}} = %[[C16]], %{{[a-z0-9_]+}} = %{{[a-z0-9_]+}})
// CHECK-SAME: workgroup(%[[AT:.*]] : memref<16x16xf32, #gpu.address_space<workgroup>>, %[[BT:.*]] : memref<16x17xf32, #gpu.address_space<workgroup>>)
// CHECK: scf.for
// CHECK: scf.if
// CHECK: memref.load %arg0
// CHECK: memref.store %{{.*}}, %[[AT]][%[[TY]], %[[TX]]]
// CHECK: memref.store %{{.*}}, %[[BT]][%[[TY]], %[[TX]]]
// CHECK: gpu.barrier
// CHECK: scf.for
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: gpu.barrier
// CHECK: memref.load %arg2
// CHECK: arith.addf
// CHECK: memref.store %{{.*}}, %arg2
// CHECK: gpu.terminator
// CHECK-NOT: linalg.matmul
func.func @matmul(%a: memref<?x70xf32>, %b: memref<33x70xf32>, %c: memref<?x33xf32>) {
  linalg.matmul indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>] ins(%a, %b : memref<?x70xf32>, memref<33x70xf32>) outs(%c : memref<?x33xf32>)
  return
}

// A plain matmul (B not transposed) and matmuls on tensors are not this
// pass's; they are left as they are.
// CHECK-LABEL: func.func @untouched
// CHECK-NOT: gpu.launch
// CHECK: linalg.matmul
func.func @untouched(%a: memref<4x8xf32>, %b: memref<8x3xf32>, %c: memref<4x3xf32>) {
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x3xf32>) outs(%c : memref<4x3xf32>)
  return
}
