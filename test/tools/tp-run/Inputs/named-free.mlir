// Named like the C library function the compiled code calls to free memory.
func.func @"free"(%x: tensor<?x4xf32>,
                 %w0: tensor<3x4xf32> {tp.name = "l0.weight"},
                 %b0: tensor<3xf32> {tp.name = "l0.bias"},
                 %w1: tensor<2x3xf32> {tp.name = "l1.weight"}) -> tensor<?x2xf32> {
  %0 = tp.linear %x, %w0, %b0 activation(relu) : tensor<?x4xf32>, tensor<3x4xf32>, tensor<3xf32> -> tensor<?x3xf32>
  %1 = tp.linear %0, %w1 : tensor<?x3xf32>, tensor<2x3xf32> -> tensor<?x2xf32>
  return %1 : tensor<?x2xf32>
}
