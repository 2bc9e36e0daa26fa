// A residual add: arith on tensors is not part of a chain.
func.func @residual(%x: tensor<?x4xf32>, %w: tensor<4x4xf32> {tp.name = "w"}) -> tensor<?x4xf32> {
  %0 = tp.linear %x, %w : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
  %1 = arith.addf %0, %x : tensor<?x4xf32>
  return %1 : tensor<?x4xf32>
}
