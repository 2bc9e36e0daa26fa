// RUN: tp-opt %s -split-input-file --tp-partition -verify-diagnostics

// Tests that every layer must be planned first.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @unplanned(%x: tensor<4x8xf32>, %w: tensor<6x8xf32>) -> tensor<4x6xf32> {
    // expected-error@+1 {{'tp.linear' op has no sharding: annotate it or run tp-set-strategy before tp-partition}}
    %0 = tp.linear %x, %w : tensor<4x8xf32>, tensor<6x8xf32> -> tensor<4x6xf32>
    return %0 : tensor<4x6xf32>
  }
}

// -----

// Tests that a module without a mesh cannot be partitioned.
module {
  // expected-error@+1 {{tp-partition needs a device mesh: add 'tp.mesh' to the module or run tp-set-mesh first}}
  func.func @no_mesh(%x: tensor<4x8xf32>, %w: tensor<6x8xf32>) -> tensor<4x6xf32> {
    %0 = tp.linear %x, %w : tensor<4x8xf32>, tensor<6x8xf32> -> tensor<4x6xf32>
    return %0 : tensor<4x6xf32>
  }
}

// -----

// Tests conflicting annotations: one weight cannot be split two ways.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @conflict(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> tensor<4x8xf32> {
    // expected-note@+1 {{the other layer is here}}
    %0 = tp.linear %x, %w sharding(row) : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
    // expected-error@+1 {{'tp.linear' op splits argument #1 along dim 1, but another layer splits it along dim 0; one checkpoint tensor can be split only one way}}
    %1 = tp.linear %0, %w sharding(column) : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
    return %1 : tensor<4x8xf32>
  }
}

// -----

// Tests that replicated and split uses of one weight also conflict.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @conflict_replicated(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> tensor<4x8xf32> {
    // expected-note@+1 {{the other layer is here}}
    %0 = tp.linear %x, %w sharding(replicated) : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
    // expected-error@+1 {{splits argument #1 along dim 0, but another layer keeps it whole (replicated)}}
    %1 = tp.linear %0, %w sharding(row) : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
    return %1 : tensor<4x8xf32>
  }
}

// -----

// Tests that a split weight cannot also be used as data.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @weight_as_data(%w: tensor<8x8xf32>) -> tensor<8x8xf32> {
    // expected-error@+1 {{'tp.linear' op uses argument #0, which is split along dim 0 as a layer's weight; use a separate argument}}
    %0 = tp.linear %w, %w sharding(row) : tensor<8x8xf32>, tensor<8x8xf32> -> tensor<8x8xf32>
    return %0 : tensor<8x8xf32>
  }
}

// -----

// Tests that layers in a nested module are not silently left unpartitioned.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  // expected-error@+1 {{is a nested module with tp layers; tp-partition partitions the functions of the module it runs on}}
  module @inner {
    func.func @f(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> tensor<4x8xf32> {
      %y = tp.linear %x, %w sharding(row) : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
      return %y : tensor<4x8xf32>
    }
  }
}
