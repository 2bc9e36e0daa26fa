// A softmax between two layers, an activation after it, and a log-softmax
// at the end.
func.func @mid(%x: tensor<?x13xf32>,
               %w0: tensor<7x13xf32> {tp.name = "l0.weight"}, %b0: tensor<7xf32> {tp.name = "l0.bias"},
               %w1: tensor<11x7xf32> {tp.name = "l1.weight"}, %b1: tensor<11xf32> {tp.name = "l1.bias"},
               %w2: tensor<5x11xf32> {tp.name = "l2.weight"})
    -> tensor<?x5xf32> {
  %0 = tp.linear %x, %w0, %b0 : tensor<?x13xf32>, tensor<7x13xf32>, tensor<7xf32> -> tensor<?x7xf32>
  %1 = tp.softmax %0 : tensor<?x7xf32>
  %2 = tp.activation tanh %1 : tensor<?x7xf32>
  %3 = tp.linear %2, %w1, %b1 activation(silu) : tensor<?x7xf32>, tensor<11x7xf32>, tensor<11xf32> -> tensor<?x11xf32>
  %4 = tp.linear %3, %w2 : tensor<?x11xf32>, tensor<5x11xf32> -> tensor<?x5xf32>
  %5 = tp.log_softmax %4 : tensor<?x5xf32>
  return %5 : tensor<?x5xf32>
}
