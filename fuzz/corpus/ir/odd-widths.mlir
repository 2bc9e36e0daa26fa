// A chain with widths that no small D divides, and a width below D.
func.func @odd(%x: tensor<?x13xf32>,
               %w0: tensor<7x13xf32> {tp.name = "l0.weight"}, %b0: tensor<7xf32> {tp.name = "l0.bias"},
               %w1: tensor<3x7xf32> {tp.name = "l1.weight"}, %b1: tensor<3xf32> {tp.name = "l1.bias"},
               %w2: tensor<11x3xf32> {tp.name = "l2.weight"},
               %w3: tensor<5x11xf32> {tp.name = "l3.weight"}, %b3: tensor<5xf32> {tp.name = "l3.bias"})
    -> tensor<?x5xf32> {
  %0 = tp.linear %x, %w0, %b0 activation(gelu_tanh) : tensor<?x13xf32>, tensor<7x13xf32>, tensor<7xf32> -> tensor<?x7xf32>
  %1 = tp.linear %0, %w1, %b1 activation(silu) : tensor<?x7xf32>, tensor<3x7xf32>, tensor<3xf32> -> tensor<?x3xf32>
  %2 = tp.linear %1, %w2 : tensor<?x3xf32>, tensor<11x3xf32> -> tensor<?x11xf32>
  %3 = tp.activation sigmoid %2 : tensor<?x11xf32>
  %4 = tp.linear %3, %w3, %b3 activation(tanh) : tensor<?x11xf32>, tensor<5x11xf32>, tensor<5xf32> -> tensor<?x5xf32>
  return %4 : tensor<?x5xf32>
}
