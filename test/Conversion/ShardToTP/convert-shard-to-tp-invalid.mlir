// RUN: tp-opt %s --split-input-file --verify-diagnostics --convert-shard-to-tp

// What convert-shard-to-tp cannot convert is named at the op, never left
// behind.

shard.grid @grid(shape = 2)
func.func @broadcast(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @below {{has no tp counterpart}}
  %b = shard.broadcast %x on @grid grid_axes = [0] root = [0] : (tensor<4xf32>) -> tensor<4xf32>
  return %b : tensor<4xf32>
}

// -----

shard.grid @grid(shape = 2)
func.func @average(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @below {{reduces by average; tp reduces by sum, product, max or min}}
  %r = shard.all_reduce %x on @grid grid_axes = [0] reduction = average : tensor<4xf32> -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

shard.grid @grid(shape = 2)
func.func @integers(%x: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @below {{moves 'tensor<4xi32>'; tp's collectives move f32 tensors}}
  %r = shard.all_reduce %x on @grid grid_axes = [0] : tensor<4xi32> -> tensor<4xi32>
  return %r : tensor<4xi32>
}

// -----

shard.grid @grid(shape = 4)
func.func @dynamic_gather(%x: tensor<4x?xf32>) -> tensor<4x?xf32> {
  // expected-error @below {{has a dynamic full extent along dim 1; tp needs it to give each device its shard}}
  %g = shard.all_gather %x on @grid grid_axes = [0] gather_axis = 1 : tensor<4x?xf32> -> tensor<4x?xf32>
  return %g : tensor<4x?xf32>
}

// -----

shard.grid @grid(shape = 2)
func.func @left_over(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @below {{is left in the program: run shard-partition}}
  %s = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  // expected-error @below {{is left in the program: run shard-partition}}
  %a = shard.shard %x to %s : tensor<4xf32>
  return %a : tensor<4xf32>
}

// -----

shard.grid @grid(shape = 2)
// expected-error @below {{argument #0 has type 'tensor<3x6xf32>' after partitioning, but its sharding #tp.shard<shape = [10, 6], dim = 0, offsets = [0, 5], sizes = [5, 5]> gives each device a tensor of shape [5, 6]}}
func.func @wrong_local(%w: tensor<3x6xf32> {tp.pending_shard = #tp.shard<shape = [10, 6], dim = 0, offsets = [0, 5], sizes = [5, 5]>}) -> tensor<3x6xf32> {
  return %w : tensor<3x6xf32>
}

// -----

shard.grid @grid(shape = 2)
func.func @scatter_same_axis(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @below {{splits and concatenates the same dim 0}}
  %a = shard.all_to_all %x on @grid grid_axes = [0] split_axis = 0 concat_axis = 0 : tensor<4x8xf32> -> tensor<4x8xf32>
  return %a : tensor<4x8xf32>
}
