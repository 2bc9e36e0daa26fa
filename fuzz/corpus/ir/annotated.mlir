// The second layer is column-sharded by hand.
module attributes {tp.mesh = #tp.mesh<shape = [3]>} {
  func.func @annotated(%x: tensor<4x10xf32>, %w0: tensor<9x10xf32>, %w1: tensor<6x9xf32>) -> tensor<4x6xf32> {
    %0 = tp.linear %x, %w0 activation(relu) : tensor<4x10xf32>, tensor<9x10xf32> -> tensor<4x9xf32>
    %1 = tp.linear %0, %w1 sharding(column) : tensor<4x9xf32>, tensor<6x9xf32> -> tensor<4x6xf32>
    return %1 : tensor<4x6xf32>
  }
}
