// Hand-annotated layers and no mesh: --devices supplies it.
func.func @annotated(%x: tensor<?x6xf32>,
                     %w0: tensor<5x6xf32> {tp.name = "w0"},
                     %w1: tensor<3x5xf32> {tp.name = "w1"}) -> tensor<?x3xf32> {
  %0 = tp.linear %x, %w0 activation(relu) sharding(row) : tensor<?x6xf32>, tensor<5x6xf32> -> tensor<?x5xf32>
  %1 = tp.linear %0, %w1 sharding(column) : tensor<?x5xf32>, tensor<3x5xf32> -> tensor<?x3xf32>
  return %1 : tensor<?x3xf32>
}
