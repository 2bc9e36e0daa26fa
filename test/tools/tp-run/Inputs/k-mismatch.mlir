func.func @f(%x: tensor<2x4xf32>, %w: tensor<5x3xf32>) -> tensor<2x5xf32> {
  %0 = tp.linear %x, %w : tensor<2x4xf32>, tensor<5x3xf32> -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}
