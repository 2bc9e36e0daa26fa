// RUN: tp-opt %s -split-input-file -verify-diagnostics

// Tests that collectives need a mesh.
func.func @no_mesh(%a: tensor<4x10xf32>) {
  // expected-error@+1 {{'tp.all_reduce' op requires an enclosing module with a 'tp.mesh' attribute}}
  %0 = tp.all_reduce sum %a : tensor<4x10xf32>
  return
}

// -----

// Tests that the rank op needs a mesh.
func.func @rank_no_mesh() {
  // expected-error@+1 {{'tp.rank' op requires an enclosing module with a 'tp.mesh' attribute}}
  %0 = tp.rank : index
  return
}

// -----

// Tests that an uneven split must be dynamic.
module attributes {tp.mesh = #tp.mesh<shape = [3]>} {
  func.func @uneven_static(%a: tensor<4x10xf32>) {
    // expected-error@+1 {{expected a dynamic dim 1 in the local result: 10 does not split evenly over 3 devices, found 3}}
    %0 = tp.all_slice %a along 1 : tensor<4x10xf32> -> tensor<4x3xf32>
    return
  }
}

// -----

// Tests that an even split has the right static size.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @even_wrong(%a: tensor<4x4xf32>) {
    // expected-error@+1 {{expected dim 1 of the local operand to be 5 (10 over 2 devices) or dynamic, found 4}}
    %0 = tp.all_gather %a along 1 : tensor<4x4xf32> -> tensor<4x10xf32>
    return
  }
}

// -----

// Tests that the other dims must agree.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @other_dim(%a: tensor<4x5xf32>) {
    // expected-error@+1 {{expected dim 0 to be the same in the gathered result and the local operand, found 3 and 4}}
    %0 = tp.all_gather %a along 1 : tensor<4x5xf32> -> tensor<3x10xf32>
    return
  }
}

// -----

// Tests that the dim must exist.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @bad_dim(%a: tensor<4x10xf32>) {
    // expected-error@+1 {{expected dim in [0, 2), found 2}}
    %0 = tp.reduce_scatter sum %a along 2 : tensor<4x10xf32> -> tensor<4x5xf32>
    return
  }
}

// -----

// Tests that ranks must agree.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @rank_mismatch(%a: tensor<4x10xf32>) {
    // expected-error@+1 {{expected the same rank in operand and result, found 2 and 1}}
    %0 = tp.all_slice %a along 0 : tensor<4x10xf32> -> tensor<2xf32>
    return
  }
}

// -----

// Tests that element types must agree.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @type_mismatch(%a: tensor<4x10xf32>) {
    // expected-error@+1 {{expected the same element type in operand and result, found 'f32' and 'f16'}}
    %0 = tp.all_slice %a along 1 : tensor<4x10xf32> -> tensor<4x5xf16>
    return
  }
}

// -----

// Tests that an unknown reduction kind is rejected.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @bad_kind(%a: tensor<4x10xf32>) {
    // expected-error@+1 {{unknown reduction 'mean'; expected one of: sum, prod, max, min}}
    %0 = tp.all_reduce mean %a : tensor<4x10xf32>
    return
  }
}

// -----

// Tests that all_reduce keeps its type.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @all_reduce_type(%a: tensor<4x10xf32>) {
    // expected-error@+1 {{requires the same type for all operands and results}}
    %0 = "tp.all_reduce"(%a) <{kind = #tp.reduction<sum>}> : (tensor<4x10xf32>) -> tensor<4x5xf32>
    return
  }
}

// -----

// Tests that local_linear checks the static extents it has.
func.func @local_linear_k(%x: tensor<4x?xf32>, %w: tensor<6x3xf32>) {
  // expected-error@+1 {{expected result out_features to match weight out_features, found 5 and 6}}
  %0 = tp.local_linear %x, %w : tensor<4x?xf32>, tensor<6x3xf32> -> tensor<4x5xf32>
  return
}

// -----

// Tests that bias_activation checks the bias length.
func.func @bias_length(%y: tensor<4x6xf32>, %b: tensor<5xf32>) {
  // expected-error@+1 {{expected bias length to match input features, found 5 and 6}}
  %0 = tp.bias_activation %y, %b : tensor<4x6xf32>, tensor<5xf32>
  return
}

// -----

// Tests that a manifest must cover the dimension.
// expected-error@+1 {{expected the slices to cover dim 0 of size 10, they cover 9}}
func.func @manifest_cover(%w: tensor<?x8xf32> {tp.shard = #tp.shard<shape = [10, 8], dim = 0, offsets = [0, 4, 7], sizes = [4, 3, 2]>}) {
  return
}

// -----

// Tests that manifest slices are contiguous.
// expected-error@+1 {{expected slices in rank order without gaps: offset of rank 1 should be 4, found 5}}
func.func @manifest_gap(%w: tensor<?x8xf32> {tp.shard = #tp.shard<shape = [10, 8], dim = 0, offsets = [0, 5, 7], sizes = [4, 3, 3]>}) {
  return
}

// -----

// Tests that a manifest has one slice per device.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  // expected-error@+1 {{argument #0: expected 2 slices (one per device), found 3}}
  func.func @manifest_devices(%w: tensor<?x8xf32> {tp.shard = #tp.shard<shape = [10, 8], dim = 0, offsets = [0, 4, 7], sizes = [4, 3, 3]>}) {
    return
  }
}

// -----

// Tests that the local type agrees with the manifest.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  // expected-error@+1 {{argument #0 of type 'tensor<4x8xf32>': dim 0 does not match its tp.shard}}
  func.func @manifest_type(%w: tensor<4x8xf32> {tp.shard = #tp.shard<shape = [10, 8], dim = 0, offsets = [0, 5], sizes = [5, 5]>}) {
    return
  }
}

// -----

// Tests that a manifest needs a mesh.
// expected-error@+1 {{argument #0 has a tp.shard but no enclosing module carries a 'tp.mesh' attribute}}
func.func @manifest_no_mesh(%w: tensor<10x8xf32> {tp.shard = #tp.shard<shape = [10, 8]>}) {
  return
}

// -----

// Tests that tp.spmd is a unit attribute under a mesh.
// expected-error@+1 {{a partitioned function needs an enclosing module with a 'tp.mesh' attribute}}
func.func @spmd_no_mesh() attributes {tp.spmd} {
  return
}

// -----

// Tests that a sharding on a non-linear op is rejected.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @sharding_on_activation(%x: tensor<4x8xf32>) {
    // expected-error@+1 {{'tp.activation' op cannot carry a sharding: only tp.linear layers are sharded}}
    %0 = tp.activation relu %x {sharding = #tp.sharding<row>} : tensor<4x8xf32>
    return
  }
}
