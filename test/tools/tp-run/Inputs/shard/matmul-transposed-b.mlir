// A transposed-B matmul (W is out x in) whose K is split: partial sums, all-reduced.
shard.grid @grid(shape = 2)
func.func @f(%x: tensor<4x8xf32>, %w: tensor<16x8xf32> {tp.name = "w"}) -> tensor<4x16xf32> {
  %rows = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %whole = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %ws = shard.shard %w to %rows annotate_for_users : tensor<16x8xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %m = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
       ins(%x, %ws : tensor<4x8xf32>, tensor<16x8xf32>) outs(%z : tensor<4x16xf32>) -> tensor<4x16xf32>
  %y = shard.shard %m to %whole annotate_for_users : tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}
