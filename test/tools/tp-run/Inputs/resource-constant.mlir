// A weight written into the model as a resource blob (what MLIR prints for
// a large constant): the floats 0 to 15, after the blob's 4-byte alignment.
func.func @resource(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %w = arith.constant dense_resource<weights> : tensor<4x4xf32>
  %y = tp.linear %x, %w activation(tanh) : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
{-#
  dialect_resources: {
    builtin: {
      weights: "0x04000000000000000000803F0000004000004040000080400000A0400000C0400000E0400000004100001041000020410000304100004041000050410000604100007041"
    }
  }
#-}
