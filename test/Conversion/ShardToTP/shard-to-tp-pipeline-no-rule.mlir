// RUN: tp-opt %s --tp-shard-to-tp-pipeline -split-input-file -verify-diagnostics

// An op without upstream's sharding interface is named once, with what to
// write instead; upstream's propagation would say "sharding interface is
// not implemented", twice.
shard.grid @grid(shape = 2)
func.func @dim(%x: tensor<?x8xf32>, %w: tensor<8x16xf32> {tp.name = "w"}) -> tensor<?x16xf32> {
  %cols = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %whole = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %ws = shard.shard %w to %cols annotate_for_users : tensor<8x16xf32>
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  // expected-error @below {{'tensor.dim' op has no sharding rule: upstream's sharding propagation takes only ops with its sharding interface (linalg and tosa ops, tensor.empty and tensor.splat, constants and the shard ops); a size cannot be read in a shard program: take the result's init tensor as an argument (as a dynamic batch needs), or give static shapes}}
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%n) : tensor<?x16xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x16xf32>) -> tensor<?x16xf32>
  %m = linalg.matmul ins(%x, %ws : tensor<?x8xf32>, tensor<8x16xf32>) outs(%z : tensor<?x16xf32>) -> tensor<?x16xf32>
  %y = shard.shard %m to %whole annotate_for_users : tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// Every such op, in every function, each once.
shard.grid @grid(shape = 2)
func.func @elementwise(%x: tensor<4x8xf32>, %w: tensor<8x16xf32> {tp.name = "w"}, %s: f32) -> tensor<4x16xf32> {
  %cols = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %whole = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %ws = shard.shard %w to %cols annotate_for_users : tensor<8x16xf32>
  %zero = arith.constant 0.0 : f32
  // expected-error @below {{'arith.addf' op has no sharding rule: upstream's sharding propagation takes only ops with its sharding interface (linalg and tosa ops, tensor.empty and tensor.splat, constants and the shard ops); write the computation as a linalg op (linalg.generic, or a named one such as linalg.add)}}
  %init = arith.addf %zero, %s : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %z = linalg.fill ins(%init : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %m = linalg.matmul ins(%x, %ws : tensor<4x8xf32>, tensor<8x16xf32>) outs(%z : tensor<4x16xf32>) -> tensor<4x16xf32>
  // expected-error @below {{'arith.mulf' op has no sharding rule}}
  %m2 = arith.mulf %m, %m : tensor<4x16xf32>
  %y = shard.shard %m2 to %whole annotate_for_users : tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

func.func @other(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @below {{'math.exp' op has no sharding rule}}
  %b = math.exp %a : tensor<4xf32>
  return %b : tensor<4xf32>
}
