// The first layer's input is the second layer's weight: whatever the
// planner chooses, that argument stays whole on every device.
func.func @alias(%w: tensor<1024x1024xf32> {tp.name = "w"}, %v: tensor<1024x1024xf32> {tp.name = "v"}) -> tensor<1024x1024xf32> {
  %0 = tp.linear %w, %v activation(tanh) : tensor<1024x1024xf32>, tensor<1024x1024xf32> -> tensor<1024x1024xf32>
  %1 = tp.linear %0, %w : tensor<1024x1024xf32>, tensor<1024x1024xf32> -> tensor<1024x1024xf32>
  return %1 : tensor<1024x1024xf32>
}
