// One weight read by two matmuls, split by columns for the first and whole
// for the second: the second annotation is chained onto the first (by the
// inliner's canonicalization, before tp-prepare-shard sees it), so the
// weight is loaded split and gathered for the second matmul.
shard.grid @grid(shape = 2)
func.func @f(%x: tensor<4x8xf32>, %w: tensor<8x8xf32> {tp.name = "w"}) -> tensor<4x8xf32> {
  %cols = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %whole = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %ws = shard.shard %w to %cols annotate_for_users : tensor<8x8xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %m = linalg.matmul ins(%x, %ws : tensor<4x8xf32>, tensor<8x8xf32>) outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  %mw = shard.shard %m to %whole annotate_for_users : tensor<4x8xf32>
  %wr = shard.shard %w to %whole annotate_for_users : tensor<8x8xf32>
  %m2 = linalg.matmul ins(%mw, %wr : tensor<4x8xf32>, tensor<8x8xf32>) outs(%z : tensor<4x8xf32>) -> tensor<4x8xf32>
  %y = shard.shard %m2 to %whole annotate_for_users : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
