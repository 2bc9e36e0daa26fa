// Layers 0 and 1 share %w0, next to a layer split by hand.
func.func @m(%x: tensor<?x3xf32>,
    %w0: tensor<3x3xf32> {tp.name = "w0"},
    %w2: tensor<2x3xf32> {tp.name = "w2"}) -> tensor<?x2xf32> {
  %h0 = tp.linear %x, %w0 : tensor<?x3xf32>, tensor<3x3xf32> -> tensor<?x3xf32>
  %h1 = tp.linear %h0, %w0 : tensor<?x3xf32>, tensor<3x3xf32> -> tensor<?x3xf32>
  %h2 = tp.linear %h1, %w2 sharding(column) : tensor<?x3xf32>, tensor<2x3xf32> -> tensor<?x2xf32>
  return %h2 : tensor<?x2xf32>
}
