// RUN: tp-opt %s --tp-shard-to-tp-pipeline -verify-diagnostics

// A module without a shard.grid (here a tp model) is refused before
// upstream's propagation, which would call its first tp op one without a
// sharding interface.
// expected-error @below {{has no shard.grid: there is no shard program to partition (tp-shard-to-tp-pipeline takes ops annotated with a shard.grid and shard.shard; a tp model goes through tp-partition-pipeline)}}
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @model(%x: tensor<4x8xf32>, %w: tensor<6x8xf32>) -> tensor<4x6xf32> {
    %y = tp.linear %x, %w : tensor<4x8xf32>, tensor<6x8xf32> -> tensor<4x6xf32>
    return %y : tensor<4x6xf32>
  }
}
