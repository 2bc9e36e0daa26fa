// RUN: tp-opt %s -split-input-file -verify-diagnostics

// Tests that a collective in a model function (not partitioned) is an
// error: every device would compute the whole model and reduce D copies.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @collective_in_model(%a: tensor<4x10xf32>) {
    // expected-error@+1 {{'tp.all_reduce' op runs per device and belongs in a partitioned function (one marked 'tp.spmd', as tp-partition makes); in a model it would compute rank-dependent results}}
    %0 = tp.all_reduce sum %a : tensor<4x10xf32>
    return
  }
}

// -----

// Tests that the rank op is for partitioned functions only.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @rank_in_model() {
    // expected-error@+1 {{'tp.rank' op runs per device and belongs in a partitioned function}}
    %0 = tp.rank : index
    return
  }
}

// -----

// Tests that the per-device compute ops are for partitioned functions only.
func.func @local_linear_in_model(%x: tensor<4x3xf32>, %w: tensor<6x3xf32>) {
  // expected-error@+1 {{'tp.local_linear' op runs per device and belongs in a partitioned function}}
  %0 = tp.local_linear %x, %w : tensor<4x3xf32>, tensor<6x3xf32> -> tensor<4x6xf32>
  return
}

// -----

// Tests that collectives are f32 only, like every tp op.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @collective_i32(%a: tensor<4x10xi32>) attributes {tp.spmd} {
    // expected-error@+1 {{'tp.all_reduce' op expected f32 elements in the operand, found 'i32' (tp computes in f32; no other element type is supported)}}
    %0 = tp.all_reduce sum %a : tensor<4x10xi32>
    return
  }
}

// -----

// Tests that a gather is f32 only.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @gather_i1(%a: tensor<4x5xi1>) attributes {tp.spmd} {
    // expected-error@+1 {{'tp.all_gather' op expected f32 elements in the gathered result, found 'i1'}}
    %0 = tp.all_gather %a along 1 : tensor<4x5xi1> -> tensor<4x10xi1>
    return
  }
}

// -----

// Tests that an uneven split must be dynamic.
module attributes {tp.mesh = #tp.mesh<shape = [3]>} {
  func.func @uneven_static(%a: tensor<4x10xf32>) attributes {tp.spmd} {
    // expected-error@+1 {{expected a dynamic dim 1 in the local result: 10 does not split evenly over 3 devices, found 3}}
    %0 = tp.all_slice %a along 1 : tensor<4x10xf32> -> tensor<4x3xf32>
    return
  }
}

// -----

// Tests that an even split has the right static size.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @even_wrong(%a: tensor<4x4xf32>) attributes {tp.spmd} {
    // expected-error@+1 {{expected dim 1 of the local operand to be 5 (10 over 2 devices) or dynamic, found 4}}
    %0 = tp.all_gather %a along 1 : tensor<4x4xf32> -> tensor<4x10xf32>
    return
  }
}

// -----

// Tests that the other dims must agree.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @other_dim(%a: tensor<4x5xf32>) attributes {tp.spmd} {
    // expected-error@+1 {{expected dim 0 to be the same in the gathered result and the local operand, found 3 and 4}}
    %0 = tp.all_gather %a along 1 : tensor<4x5xf32> -> tensor<3x10xf32>
    return
  }
}

// -----

// Tests that the dim must exist.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @bad_dim(%a: tensor<4x10xf32>) attributes {tp.spmd} {
    // expected-error@+1 {{expected dim in [0, 2), found 2}}
    %0 = tp.reduce_scatter sum %a along 2 : tensor<4x10xf32> -> tensor<4x5xf32>
    return
  }
}

// -----

// Tests that ranks must agree.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @rank_mismatch(%a: tensor<4x10xf32>) attributes {tp.spmd} {
    // expected-error@+1 {{expected the same rank in operand and result, found 2 and 1}}
    %0 = tp.all_slice %a along 0 : tensor<4x10xf32> -> tensor<2xf32>
    return
  }
}

// -----

// Tests that element types must agree.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @type_mismatch(%a: tensor<4x10xf32>) attributes {tp.spmd} {
    // expected-error@+1 {{expected f32 elements in the local result, found 'f16' (tp computes in f32; no other element type is supported)}}
    %0 = tp.all_slice %a along 1 : tensor<4x10xf32> -> tensor<4x5xf16>
    return
  }
}

// -----

// Tests that an unknown reduction kind is rejected.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @bad_kind(%a: tensor<4x10xf32>) attributes {tp.spmd} {
    // expected-error@+1 {{unknown reduction 'mean'; expected one of: sum, prod, max, min}}
    %0 = tp.all_reduce mean %a : tensor<4x10xf32>
    return
  }
}

// -----

// Tests that all_reduce keeps its type.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @all_reduce_type(%a: tensor<4x10xf32>) attributes {tp.spmd} {
    // expected-error@+1 {{requires the same type for all operands and results}}
    %0 = "tp.all_reduce"(%a) <{kind = #tp.reduction<sum>}> : (tensor<4x10xf32>) -> tensor<4x5xf32>
    return
  }
}

// -----

// Tests that local_linear checks the static extents it has.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @local_linear_k(%x: tensor<4x?xf32>, %w: tensor<6x3xf32>) attributes {tp.spmd} {
    // expected-error@+1 {{expected result out_features to match weight out_features, found 5 and 6}}
    %0 = tp.local_linear %x, %w : tensor<4x?xf32>, tensor<6x3xf32> -> tensor<4x5xf32>
    return
  }
}

// -----

// Tests that bias_activation checks the bias length.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @bias_length(%y: tensor<4x6xf32>, %b: tensor<5xf32>) attributes {tp.spmd} {
    // expected-error@+1 {{expected bias length to match input features, found 5 and 6}}
    %0 = tp.bias_activation %y, %b : tensor<4x6xf32>, tensor<5xf32>
    return
  }
}

// -----

// Tests that a manifest must cover the dimension.
// expected-error@+1 {{expected the slices to cover dim 0 of size 10, they cover 9}}
func.func @manifest_cover(%w: tensor<?x8xf32> {tp.shard = #tp.shard<shape = [10, 8], dim = 0, offsets = [0, 4, 7], sizes = [4, 3, 2]>}) {
  return
}

// -----

// Tests that only `?` writes a dynamic extent.
// expected-error@+1 {{expected a positive full shape, found extent -9223372036854775808}}
func.func @manifest_min_extent(%w: tensor<?x8xf32> {tp.shard = #tp.shard<shape = [-9223372036854775808, 8]>}) {
  return
}

// -----

// Tests that a manifest is not split along a dynamic extent.
// expected-error@+1 {{expected a fixed extent along the split dim 0, found ?}}
func.func @manifest_dynamic_split(%w: tensor<?x8xf32> {tp.shard = #tp.shard<shape = [?, 8], dim = 0, offsets = [0, 4], sizes = [4, 4]>}) {
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
  func.func @manifest_devices(%w: tensor<?x8xf32> {tp.shard = #tp.shard<shape = [10, 8], dim = 0, offsets = [0, 4, 7], sizes = [4, 3, 3]>}) attributes {tp.spmd} {
    return
  }
}

// -----

// Tests that the local type agrees with the manifest.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  // expected-error@+1 {{argument #0 of type 'tensor<4x8xf32>': dim 0 does not match its tp.shard}}
  func.func @manifest_type(%w: tensor<4x8xf32> {tp.shard = #tp.shard<shape = [10, 8], dim = 0, offsets = [0, 5], sizes = [5, 5]>}) attributes {tp.spmd} {
    return
  }
}

// -----

// Tests that a manifest belongs to a partitioned function.
// expected-error@+1 {{argument #0 has a tp.shard, the manifest of a partitioned function, but 'manifest_in_model' is not marked 'tp.spmd'}}
func.func @manifest_in_model(%w: tensor<10x8xf32> {tp.shard = #tp.shard<shape = [10, 8]>}) {
  return
}

// -----

// Tests that a manifest describes tensors only.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  // expected-error@+1 {{argument #0 of type 'i32' has a tp.shard, which describes tensors only}}
  func.func @manifest_scalar(%n: i32 {tp.shard = #tp.shard<shape = [10, 8]>}) attributes {tp.spmd} {
    return
  }
}

// -----

// Tests that tp attributes on function results are errors.
// expected-error@+1 {{unknown tp result attribute 'tp.name' on result #0 (tp attributes apply to arguments only)}}
func.func @result_attr(%x: tensor<2xf32>) -> (tensor<2xf32> {tp.name = "y"}) {
  return %x : tensor<2xf32>
}

// -----

// Tests that a mesh has a bounded device count.
// expected-error@+1 {{expected at most 65536 devices on mesh axis 0 (tp-mlir's limit), found 9223372036854775807}}
module attributes {tp.mesh = #tp.mesh<shape = [9223372036854775807]>} {
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

// -----

// Tests that manifest slices follow the balanced rule, which every
// collective and loader assumes.
// expected-error@+1 {{expected the balanced split of dim 0 (10 over 3 ranks: sizes [4, 3, 3]), found size 3 for rank 0}}
func.func @manifest_unbalanced(%w: tensor<?x8xf32> {tp.shard = #tp.shard<shape = [10, 8], dim = 0, offsets = [0, 3, 6], sizes = [3, 3, 4]>}) {
  return
}

// -----

// Tests that the balanced sizes a long manifest should have are listed in
// part.
// expected-error@+1 {{expected the balanced split of dim 0 (10 over 10 ranks: sizes [1, 1, 1, 1, 1, 1, 1, 1, ...]), found size 2 for rank 0}}
func.func @manifest_unbalanced_long(%w: tensor<?x8xf32> {tp.shard = #tp.shard<shape = [10, 8], dim = 0, offsets = [0, 2, 2, 3, 4, 5, 6, 7, 8, 9], sizes = [2, 0, 1, 1, 1, 1, 1, 1, 1, 1]>}) {
  return
}
