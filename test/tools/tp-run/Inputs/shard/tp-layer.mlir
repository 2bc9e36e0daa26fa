// A shard program that holds a tp layer: upstream's sharding propagation
// and shard-partition cannot partition it.
shard.grid @grid(shape = 2)
func.func @f(%x: tensor<4x8xf32>, %w: tensor<6x8xf32> {tp.name = "w"}) -> tensor<4x6xf32> {
  %rows = shard.sharding @grid split_axes = [[0], []] : !shard.sharding
  %ws = shard.shard %w to %rows annotate_for_users : tensor<6x8xf32>
  %y = tp.linear %x, %ws : tensor<4x8xf32>, tensor<6x8xf32> -> tensor<4x6xf32>
  return %y : tensor<4x6xf32>
}
