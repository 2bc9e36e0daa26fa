// Every move into and out of the batch split, by hand, on widths that no
// small D divides and one below D:
//   batch -> batch (nothing), batch -> column (all_to_all), column -> batch
//   (reduce_scatter along the batch), batch -> row (all_gather), row -> batch
//   (all_to_all the other way), batch -> replicated (all_gather), a separate
//   activation on a batch split, and a batch layer at the end.
func.func @mixed(%x: tensor<?x13xf32>,
                 %w0: tensor<7x13xf32> {tp.name = "l0.weight"}, %b0: tensor<7xf32> {tp.name = "l0.bias"},
                 %w1: tensor<11x7xf32> {tp.name = "l1.weight"}, %b1: tensor<11xf32> {tp.name = "l1.bias"},
                 %w2: tensor<9x11xf32> {tp.name = "l2.weight"}, %b2: tensor<9xf32> {tp.name = "l2.bias"},
                 %w3: tensor<5x9xf32> {tp.name = "l3.weight"},
                 %w4: tensor<3x5xf32> {tp.name = "l4.weight"}, %b4: tensor<3xf32> {tp.name = "l4.bias"},
                 %w5: tensor<6x3xf32> {tp.name = "l5.weight"}, %b5: tensor<6xf32> {tp.name = "l5.bias"},
                 %w6: tensor<10x6xf32> {tp.name = "l6.weight"}, %b6: tensor<10xf32> {tp.name = "l6.bias"},
                 %w7: tensor<4x10xf32> {tp.name = "l7.weight"}, %b7: tensor<4xf32> {tp.name = "l7.bias"})
    -> tensor<?x4xf32> {
  %0 = tp.linear %x, %w0, %b0 activation(gelu) sharding(batch) : tensor<?x13xf32>, tensor<7x13xf32>, tensor<7xf32> -> tensor<?x7xf32>
  %1 = tp.linear %0, %w1, %b1 activation(silu) sharding(batch) : tensor<?x7xf32>, tensor<11x7xf32>, tensor<11xf32> -> tensor<?x11xf32>
  %2 = tp.linear %1, %w2, %b2 activation(tanh) sharding(column) : tensor<?x11xf32>, tensor<9x11xf32>, tensor<9xf32> -> tensor<?x9xf32>
  %3 = tp.linear %2, %w3 sharding(batch) : tensor<?x9xf32>, tensor<5x9xf32> -> tensor<?x5xf32>
  %4 = tp.activation sigmoid %3 : tensor<?x5xf32>
  %5 = tp.linear %4, %w4, %b4 activation(relu) sharding(row) : tensor<?x5xf32>, tensor<3x5xf32>, tensor<3xf32> -> tensor<?x3xf32>
  %6 = tp.linear %5, %w5, %b5 activation(gelu_tanh) sharding(batch) : tensor<?x3xf32>, tensor<6x3xf32>, tensor<6xf32> -> tensor<?x6xf32>
  %7 = tp.linear %6, %w6, %b6 activation(relu) sharding(replicated) : tensor<?x6xf32>, tensor<10x6xf32>, tensor<10xf32> -> tensor<?x10xf32>
  %8 = tp.linear %7, %w7, %b7 sharding(batch) : tensor<?x10xf32>, tensor<4x10xf32>, tensor<4xf32> -> tensor<?x4xf32>
  return %8 : tensor<?x4xf32>
}
