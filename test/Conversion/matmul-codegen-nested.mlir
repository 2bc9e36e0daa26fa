// The generated matmul's kernel goes into the module of its callers: a
// nested module has a symbol table of its own, and a kernel put in the
// outer one was a call to a symbol the nested module cannot see.
// RUN: tp-opt %s --tp-tile-matmuls=vector-lanes=16 | FileCheck %s

// CHECK: module @inner {
// CHECK: func.func @f(
// CHECK: call @tp_matmul(
// CHECK: func.func private @tp_matmul(
// CHECK: }
// CHECK-NOT: func.func private @tp_matmul(
module {
  module @inner {
    func.func @f(%x: tensor<32x64xf32>, %w: tensor<48x64xf32>) -> tensor<32x48xf32> {
      %c = arith.constant 0.0 : f32
      %e = tensor.empty() : tensor<32x48xf32>
      %f = linalg.fill ins(%c : f32) outs(%e : tensor<32x48xf32>) -> tensor<32x48xf32>
      %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>] ins(%x, %w : tensor<32x64xf32>, tensor<48x64xf32>) outs(%f : tensor<32x48xf32>) -> tensor<32x48xf32>
      return %y : tensor<32x48xf32>
    }
  }
}
