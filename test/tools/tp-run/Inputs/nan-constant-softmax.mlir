func.func @f() -> tensor<2x3xf32> {
  %c = arith.constant dense<[[0x7FC00000, 1.0, 2.0], [1.0, 2.0, 3.0]]> : tensor<2x3xf32>
  %0 = tp.softmax %c : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}
