// Named elementwise ops, resharded from rows to columns in between (an all_to_all).
shard.grid @grid(shape = 2)
func.func @f(%w: tensor<4x8xf32> {tp.name = "w"}) -> tensor<4x8xf32> {
  %rows = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %cols = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %whole = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %ws = shard.shard %w to %rows annotate_for_users : tensor<4x8xf32>
  %e = tensor.empty() : tensor<4x8xf32>
  %t = linalg.elementwise kind=#linalg.elementwise_kind<exp> ins(%ws : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %t1 = shard.shard %t to %rows : tensor<4x8xf32>
  %t2 = shard.shard %t1 to %cols annotate_for_users : tensor<4x8xf32>
  %u = linalg.elementwise kind=#linalg.elementwise_kind<log> ins(%t2 : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %y = shard.shard %u to %whole annotate_for_users : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
