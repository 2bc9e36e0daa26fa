// RUN: tp-opt %s --split-input-file --convert-shard-to-tp | FileCheck %s

// Every collective of a partitioned program on a 1-D grid, and the process
// and grid queries, become tp's; the grid becomes the mesh, and the
// recorded argument shardings the weight manifest.

shard.grid @grid(shape = 4)

// CHECK-LABEL: module attributes {tp.mesh = #tp.mesh<shape = [4]>}
// CHECK-NOT: shard.
// CHECK-LABEL: func.func @collectives
// CHECK-SAME: %[[W:.*]]: tensor<2x8xf32> {tp.name = "w", tp.shard = #tp.shard<shape = [8, 8], dim = 0, offsets = [0, 2, 4, 6], sizes = [2, 2, 2, 2]>}
// CHECK-SAME: attributes {tp.spmd}
func.func @collectives(%w: tensor<2x8xf32> {tp.name = "w", tp.pending_shard = #tp.shard<shape = [8, 8], dim = 0, offsets = [0, 2, 4, 6], sizes = [2, 2, 2, 2]>},
                       %x: tensor<4x8xf32>) -> (tensor<8x8xf32>, tensor<4x8xf32>, tensor<4x2xf32>, tensor<1x8xf32>, tensor<8x2xf32>, index, index) {
  // CHECK: %[[G:.*]] = tp.all_gather %[[W]] along 0 : tensor<2x8xf32> -> tensor<8x8xf32>
  %g = shard.all_gather %w on @grid grid_axes = [0] gather_axis = 0 : tensor<2x8xf32> -> tensor<8x8xf32>
  // CHECK: tp.all_reduce sum %{{.*}} : tensor<4x8xf32>
  %s = shard.all_reduce %x on @grid grid_axes = [0] : tensor<4x8xf32> -> tensor<4x8xf32>
  // CHECK: tp.all_slice %{{.*}} along 1 : tensor<4x8xf32> -> tensor<4x2xf32>
  %l = shard.all_slice %x on @grid grid_axes = [0] slice_axis = 1 : tensor<4x8xf32> -> tensor<4x2xf32>
  // CHECK: tp.reduce_scatter max %{{.*}} along 0 : tensor<4x8xf32> -> tensor<1x8xf32>
  %r = shard.reduce_scatter %x on @grid grid_axes = [0] reduction = max scatter_axis = 0 : tensor<4x8xf32> -> tensor<1x8xf32>
  // CHECK: tp.all_to_all %[[W]] split 1 concat 0 : tensor<2x8xf32> -> tensor<8x2xf32>
  %a = shard.all_to_all %w on @grid grid_axes = [0] split_axis = 1 concat_axis = 0 : tensor<2x8xf32> -> tensor<8x2xf32>
  // CHECK: %[[RANK:.*]] = tp.rank : index
  %i = shard.process_linear_index on @grid : index
  // CHECK: %[[D:.*]] = arith.constant 4 : index
  %n = shard.grid_shape @grid axes = [0] : index
  // CHECK: return %[[G]], {{.*}}, %[[RANK]], %[[D]]
  return %g, %s, %l, %r, %a, %i, %n : tensor<8x8xf32>, tensor<4x8xf32>, tensor<4x2xf32>, tensor<1x8xf32>, tensor<8x2xf32>, index, index
}

// -----

// A collective over no grid axis moves nothing.
shard.grid @grid(shape = 2)
// CHECK-LABEL: func.func @no_axes
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>)
// CHECK-NEXT: return %[[X]]
func.func @no_axes(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %s = shard.all_reduce %x on @grid grid_axes = [] : tensor<4x8xf32> -> tensor<4x8xf32>
  return %s : tensor<4x8xf32>
}

// -----

// An all-reduce whose result is dynamic where its operand is static: the
// tp op keeps its operand's type, and a cast gives the result's. A gather
// over no grid axis that only changes the type is a cast.
// CHECK-LABEL: func.func @casts
// CHECK: %[[R:.*]] = tp.all_reduce sum %arg0 : tensor<4xf32>
// CHECK: tensor.cast %[[R]] : tensor<4xf32> to tensor<?xf32>
// CHECK: tensor.cast %arg1 : tensor<4x8xf32> to tensor<?x8xf32>
// CHECK-NOT: tp.all_gather
shard.grid @grid(shape = 2)
func.func @casts(%x: tensor<4xf32>, %y: tensor<4x8xf32>) -> (tensor<?xf32>, tensor<?x8xf32>) {
  %r = shard.all_reduce %x on @grid grid_axes = [0] : tensor<4xf32> -> tensor<?xf32>
  %g = shard.all_gather %y on @grid grid_axes = [] gather_axis = 1 : tensor<4x8xf32> -> tensor<?x8xf32>
  return %r, %g : tensor<?xf32>, tensor<?x8xf32>
}

// -----

// A collective of a tensor.empty (an init tensor propagation split) moves
// nothing: it becomes a tensor.empty of its result type. A dynamic result
// keeps the collective.
// CHECK-LABEL: func.func @empty
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x8xf32>
// CHECK-NEXT: %[[D:.*]] = tensor.empty(%arg0) : tensor<?x4xf32>
// CHECK-NEXT: %[[G:.*]] = tp.all_gather %[[D]] along 1 : tensor<?x4xf32> -> tensor<?x8xf32>
// CHECK-NEXT: return %[[E]], %[[G]]
shard.grid @grid(shape = 2)
func.func @empty(%n: index) -> (tensor<4x8xf32>, tensor<?x8xf32>) {
  %e = tensor.empty() : tensor<4x4xf32>
  %g = shard.all_gather %e on @grid grid_axes = [0] gather_axis = 1 : tensor<4x4xf32> -> tensor<4x8xf32>
  %d = tensor.empty(%n) : tensor<?x4xf32>
  %h = shard.all_gather %d on @grid grid_axes = [0] gather_axis = 1 : tensor<?x4xf32> -> tensor<?x8xf32>
  return %g, %h : tensor<4x8xf32>, tensor<?x8xf32>
}
