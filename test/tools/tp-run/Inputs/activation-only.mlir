// A model without dense layers: nothing for the planner to split.
func.func @f(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = tp.activation relu %x : tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}
