// Argument names that are not C: a quote, a backslash, a newline and a
// comment in one, a dot, a leading digit, a keyword, and two names that
// make the same identifier, and names of a type, a macro and a predefined
// macro.
func.func @f(%x: tensor<?x4xf32>, %w: tensor<3x4xf32> {tp.name = "evil\"; int pwned = 1; //\n*/ \\ ??="}, %b: tensor<3xf32> {tp.name = "int"}, %w1: tensor<2x3xf32> {tp.name = "a.b"}, %b1: tensor<2xf32> {tp.name = "a_b"}, %w2: tensor<2x2xf32> {tp.name = "0.weight"}, %b2: tensor<2xf32> {tp.name = "result"}, %w3: tensor<2x2xf32> {tp.name = "tp_memref_1d"}, %b3: tensor<2xf32> {tp.name = "SIZE_MAX"}, %w4: tensor<2x2xf32> {tp.name = "linux"}) -> tensor<?x2xf32> {
  %0 = tp.linear %x, %w, %b activation(relu) : tensor<?x4xf32>, tensor<3x4xf32>, tensor<3xf32> -> tensor<?x3xf32>
  %1 = tp.linear %0, %w1, %b1 : tensor<?x3xf32>, tensor<2x3xf32>, tensor<2xf32> -> tensor<?x2xf32>
  %2 = tp.linear %1, %w2, %b2 : tensor<?x2xf32>, tensor<2x2xf32>, tensor<2xf32> -> tensor<?x2xf32>
  %3 = tp.linear %2, %w3, %b3 : tensor<?x2xf32>, tensor<2x2xf32>, tensor<2xf32> -> tensor<?x2xf32>
  %4 = tp.linear %3, %w4 : tensor<?x2xf32>, tensor<2x2xf32> -> tensor<?x2xf32>
  return %4 : tensor<?x2xf32>
}

func.func private @"my-model.v2"(%x: tensor<?x4xf32>, %w: tensor<3x4xf32> {tp.name = "w"}) -> tensor<?x3xf32> {
  %0 = tp.linear %x, %w : tensor<?x4xf32>, tensor<3x4xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}
