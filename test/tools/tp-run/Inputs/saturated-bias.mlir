// Two layers, the second with a bias; with Inputs/make_files.py's
// saturated-inf.npy, the first's pre-activations are -inf.
func.func @f(%x: tensor<?x2xf32>, %w0: tensor<2x2xf32> {tp.name = "w0"}, %w1: tensor<2x2xf32> {tp.name = "w1"}, %b1: tensor<2xf32> {tp.name = "b1"}) -> tensor<?x2xf32> {
  %0 = tp.linear %x, %w0 activation(sigmoid) : tensor<?x2xf32>, tensor<2x2xf32> -> tensor<?x2xf32>
  %1 = tp.linear %0, %w1, %b1 : tensor<?x2xf32>, tensor<2x2xf32>, tensor<2xf32> -> tensor<?x2xf32>
  return %1 : tensor<?x2xf32>
}
