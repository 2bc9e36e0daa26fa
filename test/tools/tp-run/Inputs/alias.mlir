// One argument that is both the input and the weight of a layer, then a
// layer of another weight of the same shape: one generated kernel serves
// both, and must read its x and its W from their own arguments.
func.func @alias(%w: tensor<40x40xf32> {tp.name = "w"}, %v: tensor<40x40xf32> {tp.name = "v"}) -> tensor<40x40xf32> {
  %0 = tp.linear %w, %w : tensor<40x40xf32>, tensor<40x40xf32> -> tensor<40x40xf32>
  %1 = tp.linear %0, %v : tensor<40x40xf32>, tensor<40x40xf32> -> tensor<40x40xf32>
  return %1 : tensor<40x40xf32>
}
