// Two layers; with Inputs/make_files.py's saturated-x.npy, the relu of the
// first zeroes pre-activations of -1e38.
func.func @f(%x: tensor<?x2xf32>, %w0: tensor<2x2xf32> {tp.name = "w0"}, %w1: tensor<2x2xf32> {tp.name = "w1"}) -> tensor<?x2xf32> {
  %0 = tp.linear %x, %w0 activation(relu) : tensor<?x2xf32>, tensor<2x2xf32> -> tensor<?x2xf32>
  %1 = tp.linear %0, %w1 : tensor<?x2xf32>, tensor<2x2xf32> -> tensor<?x2xf32>
  return %1 : tensor<?x2xf32>
}
