// Two layers of 16 MiB of weights each: 1024 -> 4096 -> 1024.
func.func @pair(%x: tensor<?x1024xf32>,
                %w0: tensor<4096x1024xf32>, %b0: tensor<4096xf32>,
                %w1: tensor<1024x4096xf32>, %b1: tensor<1024xf32>)
    -> tensor<?x1024xf32> {
  %0 = tp.linear %x, %w0, %b0 activation(relu) : tensor<?x1024xf32>, tensor<4096x1024xf32>, tensor<4096xf32> -> tensor<?x4096xf32>
  %1 = tp.linear %0, %w1, %b1 : tensor<?x4096xf32>, tensor<1024x4096xf32>, tensor<1024xf32> -> tensor<?x1024xf32>
  return %1 : tensor<?x1024xf32>
}
