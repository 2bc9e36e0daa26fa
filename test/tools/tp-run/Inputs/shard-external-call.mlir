// A shard program that calls a declaration: nothing to inline, and
// upstream's propagation has no sharding for a call.
shard.grid @grid(shape = 2)
func.func private @external(tensor<4x8xf32>) -> tensor<4x8xf32>
func.func @calls(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = func.call @external(%x) : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
