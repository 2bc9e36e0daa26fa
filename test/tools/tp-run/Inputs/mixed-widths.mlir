// A chain whose local matmuls fall on both sides of matmul=auto's line
// (256 in- and out-features per device), depending on the split and D:
// 300 -> 520 -> 100 -> 257 -> 600.
func.func @mixed(%x: tensor<?x300xf32>,
                 %w0: tensor<520x300xf32> {tp.name = "l0.weight"}, %b0: tensor<520xf32> {tp.name = "l0.bias"},
                 %w1: tensor<100x520xf32> {tp.name = "l1.weight"}, %b1: tensor<100xf32> {tp.name = "l1.bias"},
                 %w2: tensor<257x100xf32> {tp.name = "l2.weight"},
                 %w3: tensor<600x257xf32> {tp.name = "l3.weight"}, %b3: tensor<600xf32> {tp.name = "l3.bias"})
    -> tensor<?x600xf32> {
  %0 = tp.linear %x, %w0, %b0 activation(gelu) : tensor<?x300xf32>, tensor<520x300xf32>, tensor<520xf32> -> tensor<?x520xf32>
  %1 = tp.linear %0, %w1, %b1 activation(relu) : tensor<?x520xf32>, tensor<100x520xf32>, tensor<100xf32> -> tensor<?x100xf32>
  %2 = tp.linear %1, %w2 : tensor<?x100xf32>, tensor<257x100xf32> -> tensor<?x257xf32>
  %3 = tp.linear %2, %w3, %b3 activation(tanh) : tensor<?x257xf32>, tensor<600x257xf32>, tensor<600xf32> -> tensor<?x600xf32>
  return %3 : tensor<?x600xf32>
}
