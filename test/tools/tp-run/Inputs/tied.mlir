// Two layers that share one weight: the default alternate strategy splits
// it two ways, which only one device allows.
func.func @tied(%x: tensor<?x8xf32>, %w: tensor<8x8xf32> {tp.name = "w"}) -> tensor<?x8xf32> {
  %0 = tp.linear %x, %w activation(relu) : tensor<?x8xf32>, tensor<8x8xf32> -> tensor<?x8xf32>
  %1 = tp.linear %0, %w : tensor<?x8xf32>, tensor<8x8xf32> -> tensor<?x8xf32>
  return %1 : tensor<?x8xf32>
}
