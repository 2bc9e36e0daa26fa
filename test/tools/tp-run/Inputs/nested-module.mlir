// A model beside a nested module of its own layers: the driver compiles the
// top-level module, and the nested one would be carried along unpartitioned.
module {
  module @inner attributes {tp.mesh = #tp.mesh<shape = [2]>} {
    func.func @f(%x: tensor<4x8xf32>, %w: tensor<8x8xf32> {tp.name = "w"}) -> tensor<4x8xf32> {
      %y = tp.linear %x, %w sharding(row) : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
      return %y : tensor<4x8xf32>
    }
  }
  func.func @g(%x: tensor<4x8xf32>, %w: tensor<8x8xf32> {tp.name = "w"}) -> tensor<4x8xf32> {
    %y = tp.linear %x, %w : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
    return %y : tensor<4x8xf32>
  }
}
