// RUN: tp-opt %s -split-input-file --tp-partition --tp-optimize-collectives --mlir-print-debuginfo --mlir-print-local-scope | FileCheck %s

// Tests that a collective the optimizer rewrites keeps the location of the
// layer whose output it moves, and a deferred bias and activation that of
// their layer, not the location of the layer whose input slice asked for
// them: tp-run's per-layer profile groups by location, and the planner's
// explanation charges each layer's collective to that layer.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @chain(%x: tensor<?x8xf32>,
                   %w0: tensor<6x8xf32> {tp.name = "w0"},
                   %w1: tensor<4x6xf32> {tp.name = "w1"}, %b1: tensor<4xf32> {tp.name = "b1"},
                   %w2: tensor<8x4xf32> {tp.name = "w2"},
                   %w3: tensor<2x8xf32> {tp.name = "w3"}) -> tensor<?x2xf32> {
    %0 = tp.linear %x, %w0 sharding(batch) : tensor<?x8xf32>, tensor<6x8xf32> -> tensor<?x6xf32> loc("l0")
    %1 = tp.linear %0, %w1, %b1 activation(gelu) sharding(column) : tensor<?x6xf32>, tensor<4x6xf32>, tensor<4xf32> -> tensor<?x4xf32> loc("l1")
    %2 = tp.linear %1, %w2 sharding(batch) : tensor<?x4xf32>, tensor<8x4xf32> -> tensor<?x8xf32> loc("l2")
    %3 = tp.linear %2, %w3 sharding(row) : tensor<?x8xf32>, tensor<2x8xf32> -> tensor<?x2xf32> loc("l3")
    return %3 : tensor<?x2xf32>
  }
}

// CHECK-LABEL: func @chain
// CHECK: tp.local_linear {{.*}} loc("l0")
// CHECK: tp.all_to_all {{.*}} loc("l0")
// CHECK: tp.local_linear {{.*}} loc("l1")
// CHECK: tp.reduce_scatter sum {{.*}} loc("l1")
// CHECK: tp.bias_activation {{.*}} activation(gelu) {{.*}} loc("l1")
// CHECK: tp.local_linear {{.*}} loc("l2")
// CHECK: tp.all_gather {{.*}} along 0 {{.*}} loc("l2")
// CHECK: tp.local_linear {{.*}} loc("l3")
// CHECK: tp.all_gather {{.*}} along 1 {{.*}} loc("l3")

// -----

// A separate activation after a row layer runs on the shards, before the
// gather; the gather keeps the row layer's location. Before a batch
// layer, the slice moves before the activation, which keeps its own.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @separate(%x: tensor<?x8xf32>,
                      %w0: tensor<6x8xf32> {tp.name = "w0"},
                      %w1: tensor<4x6xf32> {tp.name = "w1"},
                      %w2: tensor<2x4xf32> {tp.name = "w2"}) -> tensor<?x2xf32> {
    %0 = tp.linear %x, %w0 activation(relu) sharding(row) : tensor<?x8xf32>, tensor<6x8xf32> -> tensor<?x6xf32> loc("l0")
    %1 = tp.activation tanh %0 : tensor<?x6xf32> loc("a0")
    %2 = tp.linear %1, %w1 sharding(replicated) : tensor<?x6xf32>, tensor<4x6xf32> -> tensor<?x4xf32> loc("l1")
    %3 = tp.activation sigmoid %2 : tensor<?x4xf32> loc("a1")
    %4 = tp.linear %3, %w2 sharding(batch) : tensor<?x4xf32>, tensor<2x4xf32> -> tensor<?x2xf32> loc("l2")
    return %4 : tensor<?x2xf32>
  }
}

// CHECK-LABEL: func @separate
// CHECK: tp.local_linear {{.*}} activation(relu) {{.*}} loc("l0")
// CHECK: tp.activation tanh {{.*}} loc("a0")
// CHECK: tp.all_gather {{.*}} along 1 {{.*}} loc("l0")
// CHECK: tp.local_linear {{.*}} loc("l1")
// CHECK: tp.all_slice {{.*}} along 0 {{.*}} loc("l2")
// CHECK: tp.activation sigmoid {{.*}} loc("a1")
// CHECK: tp.local_linear {{.*}} loc("l2")
