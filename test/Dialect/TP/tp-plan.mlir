// RUN: tp-opt %s -split-input-file --tp-plan=batch=8 -verify-diagnostics | FileCheck %s
// RUN: tp-opt %s -split-input-file --tp-set-strategy="strategy=auto batch=8" -verify-diagnostics | FileCheck %s

// Tests the planner on wide layers at a small batch, where splitting the
// weights wins over replicating them: every unannotated layer gets a split
// that is not replicated, and a hand-annotated layer keeps its sharding.
// CHECK-LABEL: func.func @wide
// CHECK: tp.linear %{{.*}} sharding(row)
// CHECK: tp.linear %{{.*}} sharding(replicated)
// CHECK: tp.linear %{{.*}} sharding({{row|column}})
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @wide(%x: tensor<?x4096xf32>, %w0: tensor<4096x4096xf32>, %w1: tensor<4096x4096xf32>, %w2: tensor<4096x4096xf32>) -> tensor<?x4096xf32> {
    %0 = tp.linear %x, %w0 activation(relu) : tensor<?x4096xf32>, tensor<4096x4096xf32> -> tensor<?x4096xf32>
    %1 = tp.linear %0, %w1 sharding(replicated) : tensor<?x4096xf32>, tensor<4096x4096xf32> -> tensor<?x4096xf32>
    %2 = tp.activation gelu %1 : tensor<?x4096xf32>
    %3 = tp.linear %2, %w2 : tensor<?x4096xf32>, tensor<4096x4096xf32> -> tensor<?x4096xf32>
    return %3 : tensor<?x4096xf32>
  }
}

// -----

// Tiny layers at a tiny batch: a collective costs more than computing the
// whole layer, so every device computes every layer.
// CHECK-LABEL: func.func @tiny
// CHECK-COUNT-2: sharding(replicated)
module attributes {tp.mesh = #tp.mesh<shape = [4]>} {
  func.func @tiny(%x: tensor<2x8xf32>, %w0: tensor<8x8xf32>, %w1: tensor<4x8xf32>) -> tensor<2x4xf32> {
    %0 = tp.linear %x, %w0 : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
    %1 = tp.linear %0, %w1 : tensor<2x8xf32>, tensor<4x8xf32> -> tensor<2x4xf32>
    return %1 : tensor<2x4xf32>
  }
}

// -----

// A function that is not a chain cannot be planned.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @branch(%x: tensor<2x8xf32>, %w0: tensor<8x8xf32>, %w1: tensor<8x8xf32>) -> tensor<2x8xf32> {
    %0 = tp.linear %x, %w0 : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
    // expected-error @below {{the planner plans a chain: this layer's input is not the previous layer's output}}
    %1 = tp.linear %x, %w1 : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
    return %1 : tensor<2x8xf32>
  }
}

// -----

// expected-error @below {{needs a device mesh: add 'tp.mesh' to the module or run tp-set-mesh first}}
module {
  func.func @nomesh(%x: tensor<2x8xf32>, %w0: tensor<8x8xf32>) -> tensor<2x8xf32> {
    %0 = tp.linear %x, %w0 : tensor<2x8xf32>, tensor<8x8xf32> -> tensor<2x8xf32>
    return %0 : tensor<2x8xf32>
  }
}
