// An entry that is only a declaration.
func.func private @decl(tensor<2x4xf32>) -> tensor<2x4xf32>
func.func @other(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  return %x : tensor<2x4xf32>
}
