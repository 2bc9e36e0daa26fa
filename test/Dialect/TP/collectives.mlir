// RUN: tp-opt %s -split-input-file | FileCheck %s
// RUN: tp-opt %s -split-input-file -mlir-print-op-generic | tp-opt -split-input-file | FileCheck %s

// Tests that every SPMD-level op round-trips, with even (static) and uneven
// (dynamic) shards.
// CHECK-LABEL: func @spmd_ops
// CHECK: %[[R:.*]] = tp.rank : index
// CHECK: %[[S:.*]] = tp.all_slice %{{.*}} along 1 : tensor<4x10xf32> -> tensor<4x?xf32>
// CHECK: %[[S2:.*]] = tp.all_slice %{{.*}} along 1 : tensor<4x12xf32> -> tensor<4x4xf32>
// CHECK: %[[G:.*]] = tp.all_gather %[[S]] along 1 : tensor<4x?xf32> -> tensor<4x10xf32>
// CHECK: tp.all_gather %[[S2]] along 1 : tensor<4x4xf32> -> tensor<4x12xf32>
// CHECK: tp.all_reduce sum %[[G]] : tensor<4x10xf32>
// CHECK: tp.all_reduce max %{{.*}} : tensor<4x10xf32>
// CHECK: tp.all_reduce prod
// CHECK: tp.all_reduce min
// CHECK: tp.reduce_scatter sum %{{.*}} along 1 : tensor<4x10xf32> -> tensor<4x?xf32>
// CHECK: tp.reduce_scatter max %{{.*}} along 0 : tensor<6x12xf32> -> tensor<2x12xf32>
// CHECK: tp.local_linear %{{.*}}, %{{.*}}, %{{.*}} activation(tanh) : tensor<4x?xf32>, tensor<?x?xf32>, tensor<?xf32> -> tensor<4x?xf32>
// CHECK: tp.bias_activation %{{.*}}, %{{.*}} activation(silu) : tensor<4x10xf32>, tensor<10xf32>
// CHECK: tp.bias_activation %{{.*}} : tensor<4x10xf32>
module attributes {tp.mesh = #tp.mesh<shape = [3]>} {
  func.func @spmd_ops(%a: tensor<4x10xf32>, %c: tensor<4x12xf32>, %d: tensor<6x12xf32>,
                      %w: tensor<?x?xf32>, %b: tensor<?xf32>, %bf: tensor<10xf32>) attributes {tp.spmd} {
    %r = tp.rank : index
    %s = tp.all_slice %a along 1 : tensor<4x10xf32> -> tensor<4x?xf32>
    %s2 = tp.all_slice %c along 1 : tensor<4x12xf32> -> tensor<4x4xf32>
    %g = tp.all_gather %s along 1 : tensor<4x?xf32> -> tensor<4x10xf32>
    %g2 = tp.all_gather %s2 along 1 : tensor<4x4xf32> -> tensor<4x12xf32>
    %0 = tp.all_reduce sum %g : tensor<4x10xf32>
    %1 = tp.all_reduce max %0 : tensor<4x10xf32>
    %2 = tp.all_reduce prod %1 : tensor<4x10xf32>
    %3 = tp.all_reduce min %2 : tensor<4x10xf32>
    %4 = tp.reduce_scatter sum %3 along 1 : tensor<4x10xf32> -> tensor<4x?xf32>
    %5 = tp.reduce_scatter max %d along 0 : tensor<6x12xf32> -> tensor<2x12xf32>
    %6 = tp.local_linear %4, %w, %b activation(tanh) : tensor<4x?xf32>, tensor<?x?xf32>, tensor<?xf32> -> tensor<4x?xf32>
    %7 = tp.bias_activation %a, %bf activation(silu) : tensor<4x10xf32>, tensor<10xf32>
    %8 = tp.bias_activation %7 : tensor<4x10xf32>
    return
  }
}

// -----

// Tests the weight manifest attribute, split and replicated.
// CHECK-LABEL: func @manifest
// CHECK-SAME: tp.shard = #tp.shard<shape = [10, 8], dim = 0, offsets = [0, 4, 7], sizes = [4, 3, 3]>
// CHECK-SAME: tp.shard = #tp.shard<shape = [10]>
// CHECK-SAME: attributes {tp.spmd}
module attributes {tp.mesh = #tp.mesh<shape = [3]>} {
  func.func @manifest(%w: tensor<?x8xf32> {tp.name = "w", tp.shard = #tp.shard<shape = [10, 8], dim = 0, offsets = [0, 4, 7], sizes = [4, 3, 3]>},
                      %b: tensor<10xf32> {tp.shard = #tp.shard<shape = [10]>}) attributes {tp.spmd} {
    return
  }
}

// -----

// Tests a manifest with a dynamic extent (a batch), split along another.
// CHECK-LABEL: func @manifest_dynamic
// CHECK-SAME: tp.shard = #tp.shard<shape = [?, 16], dim = 1, offsets = [0, 8], sizes = [8, 8]>
// CHECK-SAME: tp.shard = #tp.shard<shape = [?, 8]>
// CHECK-SAME: tp.shard = #tp.shard<shape = []>
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @manifest_dynamic(%a: tensor<?x8xf32> {tp.shard = #tp.shard<shape = [?, 16], dim = 1, offsets = [0, 8], sizes = [8, 8]>},
                              %x: tensor<?x8xf32> {tp.shard = #tp.shard<shape = [?, 8]>},
                              %s: tensor<f32> {tp.shard = #tp.shard<shape = []>}) attributes {tp.spmd} {
    return
  }
}
