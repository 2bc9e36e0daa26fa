// small.mlir without tp.name on its weights: random weights run it, but an
// --input cannot say which argument it is.
func.func @unnamed(%x: tensor<?x4xf32>, %w0: tensor<3x4xf32>,
                   %w1: tensor<2x3xf32>) -> tensor<?x2xf32> {
  %0 = tp.linear %x, %w0 activation(relu) : tensor<?x4xf32>, tensor<3x4xf32> -> tensor<?x3xf32>
  %1 = tp.linear %0, %w1 : tensor<?x3xf32>, tensor<2x3xf32> -> tensor<?x2xf32>
  return %1 : tensor<?x2xf32>
}
