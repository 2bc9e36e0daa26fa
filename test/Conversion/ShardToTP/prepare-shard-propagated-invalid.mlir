// RUN: tp-opt %s --split-input-file --verify-diagnostics \
// RUN:   --pass-pipeline='builtin.module(func.func(sharding-propagation),tp-prepare-shard)'

// What shard-partition in LLVM 22 would crash on or get silently wrong
// after propagation, refused by tp-prepare-shard at the op.

// The matmul's K (x's dim 1) and N (w's dim 1) are both split on the one
// grid axis: propagation gives up and leaves the matmul's operands without
// a sharding.
shard.grid @grid(shape = 2)
func.func @conflict(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>) -> tensor<4x16xf32> {
  %cols = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %xs = shard.shard %x to %cols annotate_for_users : tensor<4x8xf32>
  %ws = shard.shard %w to %cols annotate_for_users : tensor<8x16xf32>
  %zero = arith.constant 0.0 : f32
  // expected-error @below {{has no sharding for result #0 after sharding-propagation (its operands' shardings conflict, or no annotation reaches it)}}
  %e = tensor.empty() : tensor<4x16xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %m = linalg.matmul ins(%xs, %ws : tensor<4x8xf32>, tensor<8x16xf32>) outs(%z : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %m : tensor<4x16xf32>
}

// -----

// A split reduction that subtracts: not one of the combiners
// shard-partition can classify.
shard.grid @grid(shape = 2)
func.func @subtract(%w: tensor<4x8xf32> {tp.name = "w"}) -> tensor<4xf32> {
  %cols = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %whole = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %ws = shard.shard %w to %cols annotate_for_users : tensor<4x8xf32>
  %zero = arith.constant 0.0 : f32
  %half = arith.constant 0.5 : f32
  %e = tensor.empty() : tensor<4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  // expected-error @below {{splits a reduction loop, but result #0 is not combined by one arith.addf, mulf, maximumf or minimumf}}
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>], iterator_types = ["parallel", "reduction"]}
      ins(%ws : tensor<4x8xf32>) outs(%z : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.subf %o, %a : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  %y = shard.shard %r to %whole annotate_for_users : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// A split reduction with two results, one summed and one the maximum:
// shard-partition would all-reduce both with the first one's kind.
shard.grid @grid(shape = 2)
func.func @two_combiners(%w: tensor<4x8xf32> {tp.name = "w"}) -> tensor<4xf32> {
  %cols = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %whole = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %ws = shard.shard %w to %cols annotate_for_users : tensor<4x8xf32>
  %zero = arith.constant dense<0.0> : tensor<4xf32>
  %low = arith.constant dense<-3.0e38> : tensor<4xf32>
  %e = tensor.empty() : tensor<4xf32>
  // expected-error @below {{splits a reduction loop whose results are combined differently (result #0 by arith.addf, result #1 by arith.maximumf): shard-partition in LLVM 22 all-reduces every result with the first one's kind, a wrong result; compute them in separate linalg ops}}
  %r:2 = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>, affine_map<(i, j) -> (i)>], iterator_types = ["parallel", "reduction"]}
      ins(%ws : tensor<4x8xf32>) outs(%zero, %low : tensor<4xf32>, tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32, %p: f32):
    %s = arith.addf %o, %a : f32
    %m = arith.maximumf %p, %a : f32
    linalg.yield %s, %m : f32, f32
  } -> (tensor<4xf32>, tensor<4xf32>)
  %t = linalg.add ins(%r#0, %r#1 : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %y = shard.shard %t to %whole annotate_for_users : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// A constant that is not a splat, which propagation splits.
shard.grid @grid(shape = 2)
func.func @constant(%w: tensor<2x4xf32> {tp.name = "w"}) -> tensor<2x4xf32> {
  %cols = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %whole = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %ws = shard.shard %w to %cols annotate_for_users : tensor<2x4xf32>
  // expected-error @below {{is a constant that propagation splits}}
  %c = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]> : tensor<2x4xf32>
  %e = tensor.empty() : tensor<2x4xf32>
  %t = linalg.add ins(%ws, %c : tensor<2x4xf32>, tensor<2x4xf32>) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %y = shard.shard %t to %whole annotate_for_users : tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// A split reduction whose body uses a value from outside it that is not a
// constant (shard-partition in LLVM 22 would leave it dangling).
shard.grid @grid(shape = 2)
func.func @captured(%w: tensor<4x8xf32> {tp.name = "w"}, %scale: f32) -> tensor<4xf32> {
  %cols = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %whole = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %ws = shard.shard %w to %cols annotate_for_users : tensor<4x8xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  // expected-error @below {{splits a reduction loop, and its body uses a value defined outside it that is not a constant}}
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>], iterator_types = ["parallel", "reduction"]}
      ins(%ws : tensor<4x8xf32>) outs(%z : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %q = arith.mulf %a, %scale : f32
    %s = arith.addf %o, %q : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  %y = shard.shard %r to %whole annotate_for_users : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// A body that reads the index of a loop the sharding splits (here through
// its operand's columns): shard-partition keeps the body, so each device
// would number its own slice from 0 (the result came out as w + [0 1 2 3
// 0 1 2 3], exit 0).
#id = affine_map<(d0, d1) -> (d0, d1)>
shard.grid @grid(shape = 2)
func.func @split_index(%w: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %cols = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %whole = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %ws = shard.shard %w to %cols annotate_for_users : tensor<4x8xf32>
  %e = tensor.empty() : tensor<4x8xf32>
  // expected-error @below {{reads the index of loop 1 (linalg.index), which the sharding splits across the grid: shard-partition in LLVM 22 leaves the body as it is, so each device would read its index within its own slice, a wrong result; pass the index as an operand, or keep that loop whole}}
  %g = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%ws : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %j = linalg.index 1 : index
    %ji = arith.index_cast %j : index to i64
    %jf = arith.sitofp %ji : i64 to f32
    %s = arith.addf %a, %jf : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  %y = shard.shard %g to %whole annotate_for_users : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// The same through the result's sharding alone: the operand is whole, the
// result split along the indexed loop.
#id2 = affine_map<(d0, d1) -> (d0, d1)>
shard.grid @grid(shape = 2)
func.func @split_result_index(%w: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %rows = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %e = tensor.empty() : tensor<4x8xf32>
  // expected-error @below {{reads the index of loop 0 (linalg.index)}}
  %g = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%w : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %i = linalg.index 0 : index
    %ii = arith.index_cast %i : index to i64
    %if = arith.sitofp %ii : i64 to f32
    %s = arith.addf %a, %if : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  %y = shard.shard %g to %rows : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
