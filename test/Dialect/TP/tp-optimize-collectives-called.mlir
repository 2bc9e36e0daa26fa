// RUN: tp-opt %s --tp-optimize-collectives | FileCheck %s

// A replicated argument that is only sliced becomes a split argument, which
// changes the function's type: a function that is called keeps its
// signature (its callers pass the whole tensor), one that is not changes.
// CHECK-LABEL: func.func @called(
// CHECK-SAME: %{{.*}}: tensor<6xf32> {tp.name = "b", tp.shard = #tp.shard<shape = [6]>}
// CHECK: tp.all_slice
// CHECK-LABEL: func.func @caller(
// CHECK: call @called(%{{.*}}, %{{.*}}) : (tensor<4x6xf32>, tensor<6xf32>) -> tensor<4x6xf32>
// CHECK-LABEL: func.func @uncalled(
// CHECK-SAME: %{{.*}}: tensor<3xf32> {tp.name = "b", tp.shard = #tp.shard<shape = [6], dim = 0, offsets = [0, 3], sizes = [3, 3]>}
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @called(%x: tensor<4x6xf32>, %b: tensor<6xf32> {tp.name = "b", tp.shard = #tp.shard<shape = [6]>}) -> tensor<4x6xf32> attributes {tp.spmd} {
    %bs = tp.all_slice %b along 0 : tensor<6xf32> -> tensor<3xf32>
    %xs = tp.all_slice %x along 1 : tensor<4x6xf32> -> tensor<4x3xf32>
    %y = tp.bias_activation %xs, %bs activation(relu) : tensor<4x3xf32>, tensor<3xf32>
    %g = tp.all_gather %y along 1 : tensor<4x3xf32> -> tensor<4x6xf32>
    return %g : tensor<4x6xf32>
  }
  func.func @caller(%x: tensor<4x6xf32>, %b: tensor<6xf32>) -> tensor<4x6xf32> attributes {tp.spmd} {
    %r = func.call @called(%x, %b) : (tensor<4x6xf32>, tensor<6xf32>) -> tensor<4x6xf32>
    return %r : tensor<4x6xf32>
  }
  func.func @uncalled(%x: tensor<4x6xf32>, %b: tensor<6xf32> {tp.name = "b", tp.shard = #tp.shard<shape = [6]>}) -> tensor<4x6xf32> attributes {tp.spmd} {
    %bs = tp.all_slice %b along 0 : tensor<6xf32> -> tensor<3xf32>
    %xs = tp.all_slice %x along 1 : tensor<4x6xf32> -> tensor<4x3xf32>
    %y = tp.bias_activation %xs, %bs activation(relu) : tensor<4x3xf32>, tensor<3xf32>
    %g = tp.all_gather %y along 1 : tensor<4x3xf32> -> tensor<4x6xf32>
    return %g : tensor<4x6xf32>
  }
}
