func.func @broken(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %0 = tp.linear %x, : tensor<2x4xf32>
