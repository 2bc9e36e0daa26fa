// RUN: tp-opt %s -split-input-file -canonicalize | FileCheck %s

// Tests that an identity activation folds away.
// CHECK-LABEL: func @identity_folds
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NOT: tp.activation
// CHECK: return %[[X]]
func.func @identity_folds(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = tp.activation identity %x : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Tests that relu of relu is one relu.
// CHECK-LABEL: func @relu_idempotent
// CHECK: %[[R:.*]] = tp.activation relu
// CHECK-NOT: tp.activation
// CHECK: return %[[R]]
func.func @relu_idempotent(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = tp.activation relu %x : tensor<2x3xf32>
  %1 = tp.activation relu %0 : tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}

// -----

// Tests that relu after a linear op with a fused relu folds away.
// CHECK-LABEL: func @relu_after_fused_relu
// CHECK: %[[Y:.*]] = tp.linear {{.*}} activation(relu)
// CHECK-NOT: tp.activation
// CHECK: return %[[Y]]
func.func @relu_after_fused_relu(%x: tensor<2x3xf32>, %w: tensor<4x3xf32>) -> tensor<2x4xf32> {
  %0 = tp.linear %x, %w activation(relu) : tensor<2x3xf32>, tensor<4x3xf32> -> tensor<2x4xf32>
  %1 = tp.activation relu %0 : tensor<2x4xf32>
  return %1 : tensor<2x4xf32>
}

// -----

// Tests that non-idempotent activations are kept: tanh(tanh(x)) != tanh(x),
// and relu after gelu is not redundant.
// CHECK-LABEL: func @not_idempotent
// CHECK: tp.activation tanh
// CHECK: tp.activation tanh
// CHECK: tp.activation gelu
// CHECK: tp.activation relu
func.func @not_idempotent(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %0 = tp.activation tanh %x : tensor<2x3xf32>
  %1 = tp.activation tanh %0 : tensor<2x3xf32>
  %2 = tp.activation gelu %x : tensor<2x3xf32>
  %3 = tp.activation relu %2 : tensor<2x3xf32>
  return %1, %3 : tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// Tests that an unused linear op is removed (it is Pure).
// CHECK-LABEL: func @dead_linear
// CHECK-NOT: tp.linear
func.func @dead_linear(%x: tensor<2x3xf32>, %w: tensor<4x3xf32>) {
  %0 = tp.linear %x, %w : tensor<2x3xf32>, tensor<4x3xf32> -> tensor<2x4xf32>
  return
}

// -----

// Tests that on a one-device mesh an asynchronous collective, start and
// wait, is its operand, as the synchronous ones are; on two devices it
// stays.
// CHECK-LABEL: func @async_one_device
// CHECK-SAME: (%[[P:.*]]: tensor<4x8xf32>)
// CHECK-NOT: = tp.
// CHECK: return %[[P]], %[[P]]
module attributes {tp.mesh = #tp.mesh<shape = [1]>} {
  func.func @async_one_device(%p: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) attributes {tp.spmd} {
    %h = tp.all_reduce_start sum %p : tensor<4x8xf32> -> !tp.pending<tensor<4x8xf32>>
    %g = tp.all_gather_start %p along 1 : tensor<4x8xf32> -> !tp.pending<tensor<4x8xf32>>
    %a = tp.wait %h : !tp.pending<tensor<4x8xf32>>
    %b = tp.wait %g : !tp.pending<tensor<4x8xf32>>
    return %a, %b : tensor<4x8xf32>, tensor<4x8xf32>
  }
}

// -----

// CHECK-LABEL: func @async_two_devices
// CHECK: tp.all_reduce_start
// CHECK: tp.wait
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @async_two_devices(%p: tensor<4x8xf32>) -> tensor<4x8xf32> attributes {tp.spmd} {
    %h = tp.all_reduce_start sum %p : tensor<4x8xf32> -> !tp.pending<tensor<4x8xf32>>
    %a = tp.wait %h : !tp.pending<tensor<4x8xf32>>
    return %a : tensor<4x8xf32>
  }
}

// -----

// Tests that a reduce_scatter on a one-device mesh is its operand, as the
// other collectives are.
// CHECK-LABEL: func @reduce_scatter_one_device
// CHECK-SAME: (%[[A:.*]]: tensor<4x10xf32>)
// CHECK-NEXT: return %[[A]]
module attributes {tp.mesh = #tp.mesh<shape = [1]>} {
  func.func @reduce_scatter_one_device(%a: tensor<4x10xf32>) -> tensor<4x10xf32> attributes {tp.spmd} {
    %r = tp.reduce_scatter sum %a along 0 : tensor<4x10xf32> -> tensor<4x10xf32>
    return %r : tensor<4x10xf32>
  }
}
