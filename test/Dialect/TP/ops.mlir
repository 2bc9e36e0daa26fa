// RUN: tp-opt %s -split-input-file | FileCheck %s
// Round trip through the generic form too: the custom printers and parsers
// must agree with the properties they print.
// RUN: tp-opt %s -split-input-file -mlir-print-op-generic | tp-opt -split-input-file | FileCheck %s

// Tests that a linear op with a bias, a fused activation and a sharding
// round-trips, and that the mesh attribute is kept.
// CHECK: module attributes {tp.mesh = #tp.mesh<shape = [4]>}
// CHECK-LABEL: func @linear_full
// CHECK-SAME: %[[X:.*]]: tensor<?x8xf32>, %[[W:.*]]: tensor<16x8xf32> {tp.name = "fc.weight"}, %[[B:.*]]: tensor<16xf32> {tp.name = "fc.bias"}
// CHECK: tp.linear %[[X]], %[[W]], %[[B]] activation(gelu_tanh) sharding(column) : tensor<?x8xf32>, tensor<16x8xf32>, tensor<16xf32> -> tensor<?x16xf32>
module attributes {tp.mesh = #tp.mesh<shape = [4]>} {
  func.func @linear_full(%x: tensor<?x8xf32>,
                         %w: tensor<16x8xf32> {tp.name = "fc.weight"},
                         %b: tensor<16xf32> {tp.name = "fc.bias"}) -> tensor<?x16xf32> {
    %0 = tp.linear %x, %w, %b activation(gelu_tanh) sharding(column)
        : tensor<?x8xf32>, tensor<16x8xf32>, tensor<16xf32> -> tensor<?x16xf32>
    return %0 : tensor<?x16xf32>
  }
}

// -----

// Tests that the bias is optional and that an identity activation is not
// printed.
// CHECK-LABEL: func @linear_no_bias
// CHECK: tp.linear %{{.*}}, %{{.*}} : tensor<3x5xf32>, tensor<7x5xf32> -> tensor<3x7xf32>
// CHECK: tp.linear %{{.*}}, %{{.*}} : tensor<3x5xf32>, tensor<7x5xf32> -> tensor<3x7xf32>
func.func @linear_no_bias(%x: tensor<3x5xf32>, %w: tensor<7x5xf32>) -> (tensor<3x7xf32>, tensor<3x7xf32>) {
  %0 = tp.linear %x, %w : tensor<3x5xf32>, tensor<7x5xf32> -> tensor<3x7xf32>
  %1 = tp.linear %x, %w activation(identity) : tensor<3x5xf32>, tensor<7x5xf32> -> tensor<3x7xf32>
  return %0, %1 : tensor<3x7xf32>, tensor<3x7xf32>
}

// -----

// Tests every sharding kind.
// CHECK-LABEL: func @shardings
// CHECK: sharding(row)
// CHECK: sharding(column)
// CHECK: sharding(replicated)
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @shardings(%x: tensor<2x4xf32>, %w: tensor<4x4xf32>) -> tensor<2x4xf32> {
    %0 = tp.linear %x, %w sharding(row) : tensor<2x4xf32>, tensor<4x4xf32> -> tensor<2x4xf32>
    %1 = tp.linear %0, %w sharding(column) : tensor<2x4xf32>, tensor<4x4xf32> -> tensor<2x4xf32>
    %2 = tp.linear %1, %w sharding(replicated) : tensor<2x4xf32>, tensor<4x4xf32> -> tensor<2x4xf32>
    return %2 : tensor<2x4xf32>
  }
}

// -----

// Tests every activation kind, standalone and fused.
// CHECK-LABEL: func @activations
// CHECK: tp.activation identity %{{.*}} : tensor<2x3xf32>
// CHECK: tp.activation relu
// CHECK: tp.activation gelu %
// CHECK: tp.activation gelu_tanh
// CHECK: tp.activation sigmoid
// CHECK: tp.activation tanh
// CHECK: tp.activation silu
// CHECK: tp.linear {{.*}} activation(sigmoid)
func.func @activations(%x: tensor<2x3xf32>, %w: tensor<3x3xf32>) -> tensor<2x3xf32> {
  %0 = tp.activation identity %x : tensor<2x3xf32>
  %1 = tp.activation relu %0 : tensor<2x3xf32>
  %2 = tp.activation gelu %1 : tensor<2x3xf32>
  %3 = tp.activation gelu_tanh %2 : tensor<2x3xf32>
  %4 = tp.activation sigmoid %3 : tensor<2x3xf32>
  %5 = tp.activation tanh %4 : tensor<2x3xf32>
  %6 = tp.activation silu %5 : tensor<2x3xf32>
  %7 = tp.linear %6, %w activation(sigmoid) : tensor<2x3xf32>, tensor<3x3xf32> -> tensor<2x3xf32>
  return %7 : tensor<2x3xf32>
}

// -----

// Tests that the enum attributes also stand on their own.
// CHECK-LABEL: func @standalone_attrs
// CHECK-SAME: act = #tp.activation<silu>, shard = #tp.sharding<row>
func.func @standalone_attrs() attributes {act = #tp.activation<silu>, shard = #tp.sharding<row>} {
  return
}

// -----

// Tests the row-wise ops, with a static and a dynamic batch.
// CHECK-LABEL: func @softmaxes
// CHECK: %[[S:.*]] = tp.softmax %{{.*}} : tensor<?x10xf32>
// CHECK: tp.log_softmax %[[S]] : tensor<?x10xf32>
// CHECK: tp.softmax %{{.*}} : tensor<3x7xf32>
func.func @softmaxes(%x: tensor<?x10xf32>, %y: tensor<3x7xf32>) -> (tensor<?x10xf32>, tensor<3x7xf32>) {
  %0 = tp.softmax %x : tensor<?x10xf32>
  %1 = tp.log_softmax %0 : tensor<?x10xf32>
  %2 = tp.softmax %y : tensor<3x7xf32>
  return %1, %2 : tensor<?x10xf32>, tensor<3x7xf32>
}
