// An entry without arguments: a softmax of a constant.
func.func @none() -> tensor<2x3xf32> {
  %c = arith.constant dense<[[1.0, 2.0, 3.0], [0.5, 0.5, 0.5]]> : tensor<2x3xf32>
  %0 = tp.softmax %c : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
