// A constant with NaN and infinities through activation ACT: the compiled
// code folds the constant through the activation's approximation.
func.func @f() -> tensor<2x4xf32> {
  %c = arith.constant dense<[[1.0, -2.0, 3.0, 0.5], [0x7FC00000, 0xFF800000, 0x7F800000, 100.0]]> : tensor<2x4xf32>
  %0 = tp.activation ACT %c : tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}
