// The dynamic-batch tensor is a named argument (read from --weights), and
// the one argument without a name, the input, is static: the batch option
// sizes the named one.
func.func @f(%a: tensor<?x6xf32> {tp.name = "a"}, %w: tensor<5x6xf32>) -> tensor<?x5xf32> {
  %0 = tp.linear %a, %w : tensor<?x6xf32>, tensor<5x6xf32> -> tensor<?x5xf32>
  return %0 : tensor<?x5xf32>
}
