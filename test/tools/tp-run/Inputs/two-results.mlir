// Two results: the evaluator runs it, compiled code refuses it.
func.func @two(%x: tensor<2x3xf32>, %w: tensor<4x3xf32> {tp.name = "w"}) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %0 = tp.linear %x, %w : tensor<2x3xf32>, tensor<4x3xf32> -> tensor<2x4xf32>
  return %0, %0 : tensor<2x4xf32>, tensor<2x4xf32>
}
