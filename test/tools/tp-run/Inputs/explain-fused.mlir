// Softmaxes around layers and a separate relu that tp-fuse-activations
// moves into the layer before it: --explain must plan the fused chain, as
// the partition pipeline does, or its near tie comes out another way.
func.func @f(%x: tensor<?x16xf32>,
    %w0: tensor<12x16xf32>, %b0: tensor<12xf32>, %w1: tensor<10x12xf32>, %b1: tensor<10xf32>, %w2: tensor<6x10xf32>, %b2: tensor<6xf32>) -> tensor<?x6xf32> {
  %s0 = tp.softmax %x : tensor<?x16xf32>
  %h0 = tp.linear %s0, %w0, %b0 : tensor<?x16xf32>, tensor<12x16xf32>, tensor<12xf32> -> tensor<?x12xf32>
  %s1 = tp.softmax %h0 : tensor<?x12xf32>
  %h1 = tp.linear %s1, %w1, %b1 : tensor<?x12xf32>, tensor<10x12xf32>, tensor<10xf32> -> tensor<?x10xf32>
  %s2 = tp.activation relu %h1 : tensor<?x10xf32>
  %s3 = tp.log_softmax %s2 : tensor<?x10xf32>
  %h2 = tp.linear %s3, %w2, %b2 sharding(column) : tensor<?x10xf32>, tensor<6x10xf32>, tensor<6xf32> -> tensor<?x6xf32>
  %s4 = tp.softmax %h2 : tensor<?x6xf32>
  return %s4 : tensor<?x6xf32>
}
