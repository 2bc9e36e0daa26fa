// On one device every split is the whole tensor: layers that share a
// weight may split it differently, and a split weight may also be data.
// RUN: tp-opt %s --tp-partition | FileCheck %s
// RUN: tp-opt %s --tp-set-mesh=devices=2 --tp-partition -verify-diagnostics -split-input-file -o /dev/null

// CHECK-LABEL: func.func @shared(
// CHECK-SAME: %arg1: tensor<8x8xf32>
// CHECK-SAME: tp.spmd
// CHECK: tp.local_linear %arg0, %arg1 : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
// CHECK: tp.local_linear %{{.*}}, %arg1 : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
// CHECK: tp.local_linear %arg1, %arg1 : tensor<8x8xf32>, tensor<8x8xf32> -> tensor<8x8xf32>
module attributes {tp.mesh = #tp.mesh<shape = [1]>} {
  func.func @shared(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> (tensor<4x8xf32>, tensor<8x8xf32>) {
    // expected-note@+1 {{the other layer is here}}
    %0 = tp.linear %x, %w sharding(row) : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
    // expected-error@+1 {{'tp.linear' op splits argument #1 along dim 1, but another layer splits it along dim 0}}
    %1 = tp.linear %0, %w sharding(column) : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
    %2 = tp.linear %w, %w sharding(row) : tensor<8x8xf32>, tensor<8x8xf32> -> tensor<8x8xf32>
    return %1, %2 : tensor<4x8xf32>, tensor<8x8xf32>
  }
}
