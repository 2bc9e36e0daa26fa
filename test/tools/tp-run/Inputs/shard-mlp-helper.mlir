// A three-layer MLP in linalg (activations batch x features, weights
// in x out), annotated with upstream's shard dialect: layer 0 splits its
// output features (W0's columns) and layer 1 its input features (W1's rows),
// Megatron's pairing with one all_reduce; layer 2 splits its output features
// again, and the result is returned whole, so an all_gather ends the program.
// Every width divides by 1, 2 and 4 (the tests set the grid's size). Layer
// 0's epilogue is a helper function that the shard pipeline inlines.
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
shard.grid @grid(shape = 2)
func.func @mlp(%x: tensor<4x8xf32>,
               %w0: tensor<8x16xf32> {tp.name = "fc0.weight"},
               %b0: tensor<16xf32> {tp.name = "fc0.bias"},
               %w1: tensor<16x12xf32> {tp.name = "fc1.weight"},
               %b1: tensor<12xf32> {tp.name = "fc1.bias"},
               %w2: tensor<12x8xf32> {tp.name = "fc2.weight"}) -> tensor<4x8xf32> {
  %cols = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %vec = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %rows = shard.sharding @grid split_axes = [[0], []] : !shard.sharding
  %whole = shard.sharding @grid split_axes = [[]] : !shard.sharding
  %w0s = shard.shard %w0 to %cols annotate_for_users : tensor<8x16xf32>
  %b0s = shard.shard %b0 to %vec annotate_for_users : tensor<16xf32>
  %w1s = shard.shard %w1 to %rows annotate_for_users : tensor<16x12xf32>
  %w2s = shard.shard %w2 to %cols annotate_for_users : tensor<12x8xf32>
  %zero = arith.constant 0.0 : f32

  %e0 = tensor.empty() : tensor<4x16xf32>
  %z0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<4x16xf32>) -> tensor<4x16xf32>
  %m0 = linalg.matmul ins(%x, %w0s : tensor<4x8xf32>, tensor<8x16xf32>)
                      outs(%z0 : tensor<4x16xf32>) -> tensor<4x16xf32>
  %h0 = func.call @bias_relu(%m0, %b0s) : (tensor<4x16xf32>, tensor<16xf32>) -> tensor<4x16xf32>

  %e1 = tensor.empty() : tensor<4x12xf32>
  %z1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<4x12xf32>) -> tensor<4x12xf32>
  %m1 = linalg.matmul ins(%h0, %w1s : tensor<4x16xf32>, tensor<16x12xf32>)
                      outs(%z1 : tensor<4x12xf32>) -> tensor<4x12xf32>
  %h1 = linalg.generic {indexing_maps = [#id, #row, #id],
                        iterator_types = ["parallel", "parallel"]}
      ins(%m1, %b1 : tensor<4x12xf32>, tensor<12xf32>) outs(%e1 : tensor<4x12xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    %t = math.tanh %s : f32
    linalg.yield %t : f32
  } -> tensor<4x12xf32>

  %e2 = tensor.empty() : tensor<4x8xf32>
  %z2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<4x8xf32>) -> tensor<4x8xf32>
  %m2 = linalg.matmul ins(%h1, %w2s : tensor<4x12xf32>, tensor<12x8xf32>)
                      outs(%z2 : tensor<4x8xf32>) -> tensor<4x8xf32>
  %y = shard.shard %m2 to %whole annotate_for_users : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// Layer 0's bias and ReLU, in a function of its own.
func.func private @bias_relu(%m0: tensor<4x16xf32>, %b0s: tensor<16xf32>) -> tensor<4x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<4x16xf32>
  %h0 = linalg.generic {indexing_maps = [#id, #row, #id],
                        iterator_types = ["parallel", "parallel"]}
      ins(%m0, %b0s : tensor<4x16xf32>, tensor<16xf32>) outs(%e0 : tensor<4x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<4x16xf32>
  return %h0 : tensor<4x16xf32>
}
