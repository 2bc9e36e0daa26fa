// RUN: tp-opt %s -split-input-file --tp-tile-matmuls=vector-lanes=8 | FileCheck %s
// RUN: tp-opt %s -split-input-file --tp-to-llvm-pipeline=matmul=codegen | FileCheck %s --check-prefix=LLVM

// Matmuls with a static extent of 0 (no rows, no outputs, no inputs) are
// left as they are: there is nothing to pack, and tiling them by zero-sized
// panels crashed. Lowered, their loops run no iterations.
// CHECK-LABEL: func.func @no_rows
// CHECK: linalg.matmul
// CHECK-NOT: linalg.pack
// CHECK-NOT: call @tp_matmul
// LLVM-LABEL: llvm.func @no_rows
func.func @no_rows(%x: tensor<0x7xf32>, %w: tensor<9x7xf32>) -> tensor<0x9xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<0x9xf32>
  %z = linalg.fill ins(%cst : f32) outs(%e : tensor<0x9xf32>) -> tensor<0x9xf32>
  %m = linalg.matmul indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>]
      ins(%x, %w : tensor<0x7xf32>, tensor<9x7xf32>) outs(%z : tensor<0x9xf32>) -> tensor<0x9xf32>
  return %m : tensor<0x9xf32>
}

// -----

// CHECK-LABEL: func.func @no_outputs
// CHECK: linalg.matmul
// CHECK-NOT: linalg.pack
// LLVM-LABEL: llvm.func @no_outputs
func.func @no_outputs(%a: tensor<5x7xf32>, %b: tensor<7x0xf32>, %c: tensor<5x0xf32>) -> tensor<5x0xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<5x7xf32>, tensor<7x0xf32>) outs(%c : tensor<5x0xf32>) -> tensor<5x0xf32>
  return %0 : tensor<5x0xf32>
}

// -----

// CHECK-LABEL: func.func @no_inputs
// CHECK: linalg.matmul
// CHECK-NOT: linalg.pack
// LLVM-LABEL: llvm.func @no_inputs
func.func @no_inputs(%a: tensor<5x0xf32>, %b: tensor<0x9xf32>, %c: tensor<5x9xf32>) -> tensor<5x9xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<5x0xf32>, tensor<0x9xf32>) outs(%c : tensor<5x9xf32>) -> tensor<5x9xf32>
  return %0 : tensor<5x9xf32>
}
