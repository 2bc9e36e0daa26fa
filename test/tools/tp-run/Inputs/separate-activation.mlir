// A row layer with its own activation, then a separate one, which runs on
// the shards before the row layer's gather (tp-optimize-collectives).
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @separate(%x: tensor<?x64xf32>, %w0: tensor<64x64xf32> {tp.name = "w0"}, %w1: tensor<32x64xf32> {tp.name = "w1"}) -> tensor<?x32xf32> {
    %0 = tp.linear %x, %w0 activation(relu) sharding(row) : tensor<?x64xf32>, tensor<64x64xf32> -> tensor<?x64xf32>
    %1 = tp.activation tanh %0 : tensor<?x64xf32>
    %2 = tp.linear %1, %w1 sharding(replicated) : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
    return %2 : tensor<?x32xf32>
  }
}
