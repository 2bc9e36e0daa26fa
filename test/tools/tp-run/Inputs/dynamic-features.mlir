// A dynamic dimension besides the batch: the driver sizes only the batch.
func.func @f(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %0 = tp.activation relu %x : tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}
