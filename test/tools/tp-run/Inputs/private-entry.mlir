// A public @a beside a private @b (and a declaration): --entry b runs and
// compiles @b, whose C interface the lowering would otherwise drop.
func.func private @ext(tensor<?x4xf32>) -> tensor<?x4xf32>
func.func @a(%x: tensor<?x4xf32>, %w: tensor<3x4xf32> {tp.name = "w"}) -> tensor<?x3xf32> {
  %0 = tp.linear %x, %w activation(relu) : tensor<?x4xf32>, tensor<3x4xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}
func.func private @b(%x: tensor<?x4xf32>, %w: tensor<5x4xf32> {tp.name = "w"}) -> tensor<?x5xf32> {
  %0 = tp.linear %x, %w activation(tanh) : tensor<?x4xf32>, tensor<5x4xf32> -> tensor<?x5xf32>
  return %0 : tensor<?x5xf32>
}
