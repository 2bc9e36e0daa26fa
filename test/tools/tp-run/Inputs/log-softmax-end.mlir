// A chain that ends in a log-softmax, with widths that no small D divides.
func.func @log_softmax(%x: tensor<?x13xf32>,
                   %w0: tensor<7x13xf32> {tp.name = "l0.weight"}, %b0: tensor<7xf32> {tp.name = "l0.bias"},
                   %w1: tensor<11x7xf32> {tp.name = "l1.weight"}, %b1: tensor<11xf32> {tp.name = "l1.bias"})
    -> tensor<?x11xf32> {
  %0 = tp.linear %x, %w0, %b0 activation(relu) : tensor<?x13xf32>, tensor<7x13xf32>, tensor<7xf32> -> tensor<?x7xf32>
  %1 = tp.linear %0, %w1, %b1 : tensor<?x7xf32>, tensor<11x7xf32>, tensor<11xf32> -> tensor<?x11xf32>
  %2 = tp.log_softmax %1 : tensor<?x11xf32>
  return %2 : tensor<?x11xf32>
}
