// Inputs/saturated.mlir with 64 outputs, so that Inputs/make_files.py's
// two checkpoints of it can differ outside the samples MPI ranks compare.
func.func @f(%x: tensor<?x2xf32>, %w0: tensor<2x2xf32> {tp.name = "w0"}, %w1: tensor<64x2xf32> {tp.name = "w1"}) -> tensor<?x64xf32> {
  %0 = tp.linear %x, %w0 activation(relu) : tensor<?x2xf32>, tensor<2x2xf32> -> tensor<?x2xf32>
  %1 = tp.linear %0, %w1 : tensor<?x2xf32>, tensor<64x2xf32> -> tensor<?x64xf32>
  return %1 : tensor<?x64xf32>
}
