// Layers 1 and 4 share the weight %t. Split on its own, the cheapest plan
// splits it two ways (row on one layer, column or replicated on the
// other), which the partitioner refuses: the planner gives both one split.
func.func @m(%x: tensor<?x64xf32>,
    %a: tensor<64x64xf32> {tp.name = "a"},
    %t: tensor<64x64xf32> {tp.name = "t"},
    %m: tensor<1024x64xf32> {tp.name = "m"},
    %m2: tensor<64x1024xf32> {tp.name = "m2"}) -> tensor<?x64xf32> {
  %h0 = tp.linear %x, %a activation(relu) : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
  %h1 = tp.linear %h0, %t activation(relu) : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
  %h2 = tp.linear %h1, %m activation(relu) : tensor<?x64xf32>, tensor<1024x64xf32> -> tensor<?x1024xf32>
  %h3 = tp.linear %h2, %m2 activation(relu) : tensor<?x1024xf32>, tensor<64x1024xf32> -> tensor<?x64xf32>
  %h4 = tp.linear %h3, %t : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
  return %h4 : tensor<?x64xf32>
}
