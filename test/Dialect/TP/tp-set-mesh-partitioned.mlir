// RUN: tp-opt %s --tp-set-mesh=devices=4 -verify-diagnostics -o /dev/null

// Tests that a partitioned module keeps its device count: its manifests and
// shard types are for that count.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  // expected-error@+1 {{is already partitioned for 2 devices; tp-set-mesh changes the device count of a model-level module only}}
  func.func @partitioned(%x: tensor<4x3xf32>) -> tensor<4x3xf32> attributes {tp.spmd} {
    return %x : tensor<4x3xf32>
  }
}
