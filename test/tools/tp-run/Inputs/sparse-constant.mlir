// A weight written as a sparse constant: two nonzeros of sixteen.
func.func @sparse(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %w = arith.constant sparse<[[0, 0], [1, 2]], [1.5, -5.0]> : tensor<4x4xf32>
  %y = tp.linear %x, %w : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
