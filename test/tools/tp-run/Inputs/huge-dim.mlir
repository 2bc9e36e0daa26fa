// A dimension near int64's largest.
func.func @huge(%x: tensor<1x9223372036854775807xf32>, %w: tensor<2x9223372036854775807xf32> {tp.name = "w"}) -> tensor<1x2xf32> {
  %0 = tp.linear %x, %w : tensor<1x9223372036854775807xf32>, tensor<2x9223372036854775807xf32> -> tensor<1x2xf32>
  return %0 : tensor<1x2xf32>
}
