// tp-tile-matmuls transforms the packs, mmt4d and unpacks it makes of a
// matmul (marked tp.matmul_codegen) and leaves any other such op as it is:
// its schedule's vector sizes fit only its own.
// RUN: tp-opt %s --tp-tile-matmuls=vector-lanes=16 | FileCheck %s

// CHECK-LABEL: func.func @foreign_unpack(
// CHECK: linalg.unpack %arg0 inner_dims_pos = [0] inner_tiles = [16] into %arg1 : tensor<4x8x16xf32> -> tensor<64x8xf32>
func.func @foreign_unpack(%src: tensor<4x8x16xf32>, %dst: tensor<64x8xf32>) -> tensor<64x8xf32> {
  %0 = linalg.unpack %src inner_dims_pos = [0] inner_tiles = [16] into %dst : tensor<4x8x16xf32> -> tensor<64x8xf32>
  return %0 : tensor<64x8xf32>
}

// CHECK-LABEL: func.func @foreign_pack(
// CHECK: linalg.pack %arg0 inner_dims_pos = [0] inner_tiles = [16] into %arg1 : tensor<64x8xf32> -> tensor<4x8x16xf32>
func.func @foreign_pack(%src: tensor<64x8xf32>, %dst: tensor<4x8x16xf32>) -> tensor<4x8x16xf32> {
  %0 = linalg.pack %src inner_dims_pos = [0] inner_tiles = [16] into %dst : tensor<64x8xf32> -> tensor<4x8x16xf32>
  return %0 : tensor<4x8x16xf32>
}

// CHECK-LABEL: func.func @foreign_mmt4d(
// CHECK: linalg.mmt4d ins(%arg0, %arg1 : tensor<2x3x8x1xf32>, tensor<5x3x4x1xf32>) outs(%arg2 : tensor<2x5x8x4xf32>)
func.func @foreign_mmt4d(%a: tensor<2x3x8x1xf32>, %b: tensor<5x3x4x1xf32>, %c: tensor<2x5x8x4xf32>) -> tensor<2x5x8x4xf32> {
  %0 = linalg.mmt4d ins(%a, %b : tensor<2x3x8x1xf32>, tensor<5x3x4x1xf32>) outs(%c : tensor<2x5x8x4xf32>) -> tensor<2x5x8x4xf32>
  return %0 : tensor<2x5x8x4xf32>
}

// With a matmul of its own beside them, only the matmul's ops change.
// CHECK-LABEL: func.func @beside(
// CHECK: call @tp_matmul(
// CHECK: linalg.unpack %arg2 inner_dims_pos = [0] inner_tiles = [16] into %arg3
// CHECK: func.func private @tp_matmul(
// CHECK-NOT: linalg.unpack
// CHECK-NOT: linalg.pack
// CHECK-NOT: linalg.mmt4d
// CHECK: vector.contract
func.func @beside(%x: tensor<?x300xf32>, %w: tensor<40x300xf32>, %src: tensor<4x8x16xf32>, %dst: tensor<64x8xf32>) -> (tensor<?x40xf32>, tensor<64x8xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %m = tensor.dim %x, %c0 : tensor<?x300xf32>
  %e = tensor.empty(%m) : tensor<?x40xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<?x40xf32>) -> tensor<?x40xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
         ins(%x, %w : tensor<?x300xf32>, tensor<40x300xf32>) outs(%init : tensor<?x40xf32>) -> tensor<?x40xf32>
  %u = linalg.unpack %src inner_dims_pos = [0] inner_tiles = [16] into %dst : tensor<4x8x16xf32> -> tensor<64x8xf32>
  return %y, %u : tensor<?x40xf32>, tensor<64x8xf32>
}
