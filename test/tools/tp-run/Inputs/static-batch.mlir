// A chain with a static batch, so that its generated matmuls take their
// weights packed ahead: widths that neither 16 nor 8 divides, a layer
// below auto's 256 features (sgemm, W as it is).
func.func @static(%x: tensor<37x300xf32>,
                  %w0: tensor<257x300xf32> {tp.name = "l0.weight"}, %b0: tensor<257xf32> {tp.name = "l0.bias"},
                  %w1: tensor<300x257xf32> {tp.name = "l1.weight"},
                  %w2: tensor<300x300xf32> {tp.name = "l2.weight"}, %b2: tensor<300xf32> {tp.name = "l2.bias"},
                  %w3b: tensor<300x300xf32> {tp.name = "l3.weight"},
                  %w3: tensor<40x300xf32> {tp.name = "l4.weight"}, %b3: tensor<40xf32> {tp.name = "l4.bias"})
    -> tensor<37x40xf32> {
  %0 = tp.linear %x, %w0, %b0 activation(gelu) : tensor<37x300xf32>, tensor<257x300xf32>, tensor<257xf32> -> tensor<37x257xf32>
  %1 = tp.linear %0, %w1 activation(silu) : tensor<37x257xf32>, tensor<300x257xf32> -> tensor<37x300xf32>
  %2 = tp.linear %1, %w2, %b2 activation(tanh) : tensor<37x300xf32>, tensor<300x300xf32>, tensor<300xf32> -> tensor<37x300xf32>
  %3 = tp.linear %2, %w3b activation(relu) : tensor<37x300xf32>, tensor<300x300xf32> -> tensor<37x300xf32>
  %4 = tp.linear %3, %w3, %b3 : tensor<37x300xf32>, tensor<40x300xf32>, tensor<40xf32> -> tensor<37x40xf32>
  return %4 : tensor<37x40xf32>
}
