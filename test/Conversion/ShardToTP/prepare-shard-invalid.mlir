// RUN: tp-opt %s --split-input-file --verify-diagnostics --tp-prepare-shard

// Everything tp-prepare-shard refuses before shard-partition runs: what
// tp cannot run, and what shard-partition in LLVM 22 gets wrong or crashes
// on.

// expected-error @below {{has no shard.grid}}
module {
  func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
}

// -----

// expected-error @below {{has 2 axes of sizes [2, 2]; tp runs a 1-D mesh}}
shard.grid @grid(shape = 2x2)

// -----

// expected-note @below {{the first grid is here}}
shard.grid @a(shape = 2)
// expected-error @below {{is a second grid}}
shard.grid @b(shape = 2)

// -----

shard.grid @grid(shape = 4)
func.func @uneven(%w: tensor<10x6xf32>) -> tensor<10x6xf32> {
  %s = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  // expected-error @below {{splits dim 0 of 'tensor<10x6xf32>' (10) over 4 devices, which does not divide it: shard-partition in LLVM 22 would give every device 2 and drop the remaining 2 (tp's balanced rule gives [3, 3, 2, 2])}}
  %a = shard.shard %w to %s annotate_for_users : tensor<10x6xf32>
  return %a : tensor<10x6xf32>
}

// -----

// On a large grid the balanced sizes are counted, not listed.
shard.grid @grid(shape = 16)
func.func @uneven_large(%w: tensor<20x6xf32>) -> tensor<20x6xf32> {
  %s = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  // expected-error @below {{splits dim 0 of 'tensor<20x6xf32>' (20) over 16 devices, which does not divide it: shard-partition in LLVM 22 would give every device 1 and drop the remaining 4 (tp's balanced rule gives 2 to each of 4 ranks and 1 to each of 12 ranks)}}
  %a = shard.shard %w to %s annotate_for_users : tensor<20x6xf32>
  return %a : tensor<20x6xf32>
}

// -----

shard.grid @grid(shape = 2)
func.func @offsets(%w: tensor<10x6xf32>) -> tensor<10x6xf32> {
  %s = shard.sharding @grid split_axes = [[0]] sharded_dims_offsets = [0, 5, 10] : !shard.sharding
  // expected-error @below {{gives explicit sharded_dims_offsets}}
  %a = shard.shard %w to %s annotate_for_users : tensor<10x6xf32>
  return %a : tensor<10x6xf32>
}

// -----

shard.grid @grid(shape = 2)
func.func @halos(%w: tensor<10x6xf32>) -> tensor<10x6xf32> {
  %s = shard.sharding @grid split_axes = [[0]] halo_sizes = [1, 1] : !shard.sharding
  // expected-error @below {{has halos, which tp does not run}}
  %a = shard.shard %w to %s annotate_for_users : tensor<10x6xf32>
  return %a : tensor<10x6xf32>
}

// -----

shard.grid @grid(shape = 2)
func.func @dynamic(%x: tensor<?x6xf32>) -> tensor<?x6xf32> {
  %s = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  // expected-error @below {{splits dim 0 of 'tensor<?x6xf32>', which is dynamic}}
  %a = shard.shard %x to %s annotate_for_users : tensor<?x6xf32>
  return %a : tensor<?x6xf32>
}

// -----

shard.grid @grid(shape = 2)
// expected-error @below {{argument #0 must have exactly one use, a shard.shard that gives its sharding (as sharding-propagation leaves it): shard-partition reads the argument's local type from it; annotate the argument once, with shard.shard ... annotate_for_users, and use that value everywhere}}
func.func @two_uses(%x: tensor<4x6xf32>) -> (tensor<4x6xf32>, tensor<4x6xf32>) {
  %s = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %a = shard.shard %x to %s annotate_for_users : tensor<4x6xf32>
  %e = tensor.empty() : tensor<4x6xf32>
  %b = linalg.add ins(%a, %x : tensor<4x6xf32>, tensor<4x6xf32>) outs(%e : tensor<4x6xf32>) -> tensor<4x6xf32>
  return %a, %b : tensor<4x6xf32>, tensor<4x6xf32>
}

// -----

shard.grid @grid(shape = 2)
func.func @split_result(%x: tensor<4x6xf32>) -> tensor<4x6xf32> {
  %s = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %a = shard.shard %x to %s annotate_for_users : tensor<4x6xf32>
  // expected-error @below {{makes result #0 split; tp returns results whole on every device, so annotate it with split_axes = [[]]}}
  %b = shard.shard %a to %s annotate_for_users : tensor<4x6xf32>
  return %b : tensor<4x6xf32>
}

// -----

shard.grid @grid(shape = 2)
func.func @sharding_argument(%x: tensor<4x6xf32>, %s: !shard.sharding) -> tensor<4x6xf32> {
  // expected-error @below {{has a sharding that is not a shard.sharding op}}
  %a = shard.shard %x to %s annotate_for_users : tensor<4x6xf32>
  return %a : tensor<4x6xf32>
}

// -----

// A split along a grid axis that a 1-D grid does not have.
shard.grid @grid(shape = 2)
func.func @axis(%w: tensor<10x6xf32>) -> tensor<10x6xf32> {
  %s = shard.sharding @grid split_axes = [[], [1]] : !shard.sharding
  // expected-error @below {{splits dim 1 along grid axis 1; the grid has one axis, 0}}
  %a = shard.shard %w to %s annotate_for_users : tensor<10x6xf32>
  return %a : tensor<10x6xf32>
}

// -----

// A tp.mesh that disagrees with the grid: the grid sizes a shard program.
// expected-error @below {{has a tp.mesh of 4 devices and a shard.grid of 2; a shard program is sized by its grid: drop the tp.mesh}}
module attributes {tp.mesh = #tp.mesh<shape = [4]>} {
  shard.grid @grid(shape = 2)
  func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
}

// -----

// A tp layer in a shard program: upstream's shard-partition cannot
// partition it.
shard.grid @grid(shape = 2)
func.func @mixed(%x: tensor<4x8xf32>, %w: tensor<6x8xf32>) -> tensor<4x6xf32> {
  // expected-error @below {{is a tp layer in a shard program}}
  %y = tp.linear %x, %w : tensor<4x8xf32>, tensor<6x8xf32> -> tensor<4x6xf32>
  return %y : tensor<4x6xf32>
}
