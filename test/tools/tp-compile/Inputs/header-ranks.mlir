module {
  func.func @ranks(%x: tensor<?x8xf32>, %w: tensor<8x8xf32> {tp.name = "w"}, %e: tensor<2x3x4xf32>, %s: tensor<f32> {tp.name = "s"}) -> tensor<?x8xf32> {
    %0 = tp.linear %x, %w : tensor<?x8xf32>, tensor<8x8xf32> -> tensor<?x8xf32>
    return %0 : tensor<?x8xf32>
  }
}
