// Two entries whose names differ only in case.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @mlp(%x: tensor<4x6xf32>, %w: tensor<8x6xf32> {tp.name = "w"})
      -> tensor<4x8xf32> {
    %y = tp.linear %x, %w : tensor<4x6xf32>, tensor<8x6xf32> -> tensor<4x8xf32>
    return %y : tensor<4x8xf32>
  }
  func.func @Mlp(%x: tensor<4x6xf32>, %w: tensor<8x6xf32> {tp.name = "w"})
      -> tensor<4x8xf32> {
    %y = tp.linear %x, %w : tensor<4x6xf32>, tensor<8x6xf32> -> tensor<4x8xf32>
    return %y : tensor<4x8xf32>
  }
}
