// Every activation with parameters, with its defaults and with others,
// widths that no D from 2 to 4 divides (and one below D), with and without
// biases, and a batch the tests choose.
func.func @params(%x: tensor<?x37xf32>,
                  %w0: tensor<29x37xf32> {tp.name = "l0.weight"}, %b0: tensor<29xf32> {tp.name = "l0.bias"},
                  %w1: tensor<3x29xf32> {tp.name = "l1.weight"}, %b1: tensor<3xf32> {tp.name = "l1.bias"},
                  %w2: tensor<50x3xf32> {tp.name = "l2.weight"},
                  %w3: tensor<23x50xf32> {tp.name = "l3.weight"}, %b3: tensor<23xf32> {tp.name = "l3.bias"},
                  %w4: tensor<41x23xf32> {tp.name = "l4.weight"}, %b4: tensor<41xf32> {tp.name = "l4.bias"},
                  %w5: tensor<17x41xf32> {tp.name = "l5.weight"}, %b5: tensor<17xf32> {tp.name = "l5.bias"},
                  %w6: tensor<19x17xf32> {tp.name = "l6.weight"}, %b6: tensor<19xf32> {tp.name = "l6.bias"},
                  %w7: tensor<13x19xf32> {tp.name = "l7.weight"}, %b7: tensor<13xf32> {tp.name = "l7.bias"},
                  %w8: tensor<9x13xf32> {tp.name = "l8.weight"}, %b8: tensor<9xf32> {tp.name = "l8.bias"})
    -> tensor<?x9xf32> {
  %0 = tp.linear %x, %w0, %b0 activation(leaky_relu(0.2)) : tensor<?x37xf32>, tensor<29x37xf32>, tensor<29xf32> -> tensor<?x29xf32>
  %1 = tp.linear %0, %w1, %b1 activation(elu(1.5)) : tensor<?x29xf32>, tensor<3x29xf32>, tensor<3xf32> -> tensor<?x3xf32>
  %2 = tp.linear %1, %w2 activation(selu) : tensor<?x3xf32>, tensor<50x3xf32> -> tensor<?x50xf32>
  %3 = tp.linear %2, %w3, %b3 activation(softplus(2.0, 5.0)) : tensor<?x50xf32>, tensor<23x50xf32>, tensor<23xf32> -> tensor<?x23xf32>
  %4 = tp.linear %3, %w4, %b4 activation(mish) : tensor<?x23xf32>, tensor<41x23xf32>, tensor<41xf32> -> tensor<?x41xf32>
  %5 = tp.linear %4, %w5, %b5 activation(hardtanh(0.0, 6.0)) : tensor<?x41xf32>, tensor<17x41xf32>, tensor<17xf32> -> tensor<?x17xf32>
  %6 = tp.linear %5, %w6, %b6 activation(hardsigmoid) : tensor<?x17xf32>, tensor<19x17xf32>, tensor<19xf32> -> tensor<?x19xf32>
  %7 = tp.linear %6, %w7, %b7 activation(hardswish) : tensor<?x19xf32>, tensor<13x19xf32>, tensor<13xf32> -> tensor<?x13xf32>
  %8 = tp.activation leaky_relu(0.05) %7 : tensor<?x13xf32>
  %9 = tp.linear %8, %w8, %b8 activation(softplus) : tensor<?x13xf32>, tensor<9x13xf32>, tensor<9xf32> -> tensor<?x9xf32>
  return %9 : tensor<?x9xf32>
}
