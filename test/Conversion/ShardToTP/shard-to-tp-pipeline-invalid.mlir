// RUN: tp-opt %s --tp-shard-to-tp-pipeline -verify-diagnostics

// A tp layer in a shard program is refused with tp's message before
// upstream's propagation, which would call it an op without its sharding
// interface.
shard.grid @grid(shape = 2)
func.func @mixed(%x: tensor<4x8xf32>, %w: tensor<6x8xf32>) -> tensor<4x6xf32> {
  // expected-error @below {{is a tp layer in a shard program (upstream's shard-partition cannot partition it); annotate the matmul with shard.shard instead, or drop the shard.grid and shard ops}}
  %y = tp.linear %x, %w : tensor<4x8xf32>, tensor<6x8xf32> -> tensor<4x6xf32>
  return %y : tensor<4x6xf32>
}
