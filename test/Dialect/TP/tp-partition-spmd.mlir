// RUN: tp-opt %s --tp-partition | FileCheck %s

// Tests that a function without layers is partitioned trivially (every
// device runs it as it is), and that one already partitioned is left alone.
// CHECK-LABEL: func @no_layers
// CHECK-SAME: attributes {tp.spmd}
// CHECK-NEXT: return
// CHECK-LABEL: func @done
// CHECK-NEXT: tp.local_linear
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @no_layers(%x: tensor<4x3xf32>) -> tensor<4x3xf32> {
    return %x : tensor<4x3xf32>
  }
  func.func @done(%x: tensor<4x3xf32>, %w: tensor<3x3xf32>) -> tensor<4x3xf32> attributes {tp.spmd} {
    %0 = tp.local_linear %x, %w : tensor<4x3xf32>, tensor<3x3xf32> -> tensor<4x3xf32>
    return %0 : tensor<4x3xf32>
  }
}
