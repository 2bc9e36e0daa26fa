// A chain whose first layer's weight and bias are constants in the model.
func.func @f(%x: tensor<?x4xf32>, %w1: tensor<4x4xf32>) -> tensor<?x4xf32> {
  %w0 = arith.constant dense<0.5> : tensor<4x4xf32>
  %b0 = arith.constant dense<[0.1, 0.2, 0.3, 0.4]> : tensor<4xf32>
  %0 = tp.linear %x, %w0, %b0 activation(relu) : tensor<?x4xf32>, tensor<4x4xf32>, tensor<4xf32> -> tensor<?x4xf32>
  %1 = tp.linear %0, %w1 : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
  return %1 : tensor<?x4xf32>
}
