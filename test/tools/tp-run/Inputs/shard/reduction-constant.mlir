// A split reduction whose body uses constants, one defined outside it (the
// canonicalizer hoists the other there too): a weighted count, sum of
// a * 0.5 + 1. shard-partition in LLVM 22 crashes on captured values;
// tp-prepare-shard clones the constants back into the body.
shard.grid @grid(shape = 2)
func.func @f(%w: tensor<4x8xf32> {tp.name = "w"}) -> tensor<4xf32> {
  %cols = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %whole = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %ws = shard.shard %w to %cols annotate_for_users : tensor<4x8xf32>
  %zero = arith.constant 0.0 : f32
  %half = arith.constant 0.5 : f32
  %e = tensor.empty() : tensor<4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>], iterator_types = ["parallel", "reduction"]}
      ins(%ws : tensor<4x8xf32>) outs(%z : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %one = arith.constant 1.0 : f32
    %q = arith.mulf %a, %half : f32
    %p = arith.addf %q, %one : f32
    %s = arith.addf %o, %p : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  %y = shard.shard %r to %whole annotate_for_users : tensor<4xf32>
  return %y : tensor<4xf32>
}
