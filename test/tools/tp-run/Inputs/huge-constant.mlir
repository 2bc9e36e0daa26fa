// A constant weight of 2 GiB (a splat: cheap to parse), more than compiled
// code may embed.
func.func @f(%x: tensor<?x32769xf32>) -> tensor<?x16384xf32> {
  %w = arith.constant dense<1.0> : tensor<16384x32769xf32>
  %0 = tp.linear %x, %w : tensor<?x32769xf32>, tensor<16384x32769xf32> -> tensor<?x16384xf32>
  return %0 : tensor<?x16384xf32>
}
