// Ten layers whose weights are five arguments, each shared by two layers,
// and a bias shared by the first two: 3^5 x 2 combinations of splits, past
// what the planner enumerates, so it holds one group at a time.
func.func @many(%x: tensor<?x16xf32>,
    %w0: tensor<16x16xf32> {tp.name = "w0"},
    %w1: tensor<16x16xf32> {tp.name = "w1"},
    %w2: tensor<16x16xf32> {tp.name = "w2"},
    %w3: tensor<16x16xf32> {tp.name = "w3"},
    %w4: tensor<16x16xf32> {tp.name = "w4"},
    %b: tensor<16xf32> {tp.name = "b"}) -> tensor<?x16xf32> {
  %h0 = tp.linear %x, %w0, %b activation(relu) : tensor<?x16xf32>, tensor<16x16xf32>, tensor<16xf32> -> tensor<?x16xf32>
  %h1 = tp.linear %h0, %w1, %b activation(relu) : tensor<?x16xf32>, tensor<16x16xf32>, tensor<16xf32> -> tensor<?x16xf32>
  %h2 = tp.linear %h1, %w2 activation(relu) : tensor<?x16xf32>, tensor<16x16xf32> -> tensor<?x16xf32>
  %h3 = tp.linear %h2, %w3 activation(relu) : tensor<?x16xf32>, tensor<16x16xf32> -> tensor<?x16xf32>
  %h4 = tp.linear %h3, %w4 activation(relu) : tensor<?x16xf32>, tensor<16x16xf32> -> tensor<?x16xf32>
  %h5 = tp.linear %h4, %w0 activation(relu) : tensor<?x16xf32>, tensor<16x16xf32> -> tensor<?x16xf32>
  %h6 = tp.linear %h5, %w1 activation(relu) : tensor<?x16xf32>, tensor<16x16xf32> -> tensor<?x16xf32>
  %h7 = tp.linear %h6, %w2 activation(relu) : tensor<?x16xf32>, tensor<16x16xf32> -> tensor<?x16xf32>
  %h8 = tp.linear %h7, %w3 activation(relu) : tensor<?x16xf32>, tensor<16x16xf32> -> tensor<?x16xf32>
  %h9 = tp.linear %h8, %w4 activation(relu) : tensor<?x16xf32>, tensor<16x16xf32> -> tensor<?x16xf32>
  return %h9 : tensor<?x16xf32>
}
