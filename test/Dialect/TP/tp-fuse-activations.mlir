// RUN: tp-opt %s -split-input-file -tp-fuse-activations | FileCheck %s

// Tests that an activation is fused into its single-use producer.
// CHECK-LABEL: func @fuse
// CHECK: %[[Y:.*]] = tp.linear %{{.*}}, %{{.*}}, %{{.*}} activation(gelu) : tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32> -> tensor<4x16xf32>
// CHECK-NOT: tp.activation
// CHECK: return %[[Y]]
func.func @fuse(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>, %b: tensor<16xf32>) -> tensor<4x16xf32> {
  %0 = tp.linear %x, %w, %b : tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32> -> tensor<4x16xf32>
  %1 = tp.activation gelu %0 : tensor<4x16xf32>
  return %1 : tensor<4x16xf32>
}

// -----

// Tests that a linear op with another use keeps its raw output.
// CHECK-LABEL: func @other_use
// CHECK: %[[L:.*]] = tp.linear %{{.*}}, %{{.*}} : tensor
// CHECK: %[[A:.*]] = tp.activation silu %[[L]]
// CHECK: return %[[L]], %[[A]]
func.func @other_use(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %0 = tp.linear %x, %w : tensor<4x8xf32>, tensor<16x8xf32> -> tensor<4x16xf32>
  %1 = tp.activation silu %0 : tensor<4x16xf32>
  return %0, %1 : tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

// Tests that a second activation is not fused over a first one.
// CHECK-LABEL: func @already_fused
// CHECK: tp.linear {{.*}} activation(tanh)
// CHECK: tp.activation sigmoid
func.func @already_fused(%x: tensor<4x8xf32>, %w: tensor<16x8xf32>) -> tensor<4x16xf32> {
  %0 = tp.linear %x, %w activation(tanh) : tensor<4x8xf32>, tensor<16x8xf32> -> tensor<4x16xf32>
  %1 = tp.activation sigmoid %0 : tensor<4x16xf32>
  return %1 : tensor<4x16xf32>
}

// -----

// Tests a whole chain, nested in a module with a mesh: every layer fuses.
// CHECK-LABEL: func @chain
// CHECK: tp.linear {{.*}} activation(relu)
// CHECK: tp.linear {{.*}} activation(silu)
// CHECK-NOT: tp.activation
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @chain(%x: tensor<?x8xf32>, %w0: tensor<8x8xf32>, %w1: tensor<3x8xf32>) -> tensor<?x3xf32> {
    %0 = tp.linear %x, %w0 : tensor<?x8xf32>, tensor<8x8xf32> -> tensor<?x8xf32>
    %1 = tp.activation relu %0 : tensor<?x8xf32>
    %2 = tp.linear %1, %w1 : tensor<?x8xf32>, tensor<3x8xf32> -> tensor<?x3xf32>
    %3 = tp.activation silu %2 : tensor<?x3xf32>
    return %3 : tensor<?x3xf32>
  }
}
