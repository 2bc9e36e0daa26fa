// RUN: tp-opt %s -split-input-file -verify-diagnostics

// Tests that split and concat must differ.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @same_dims(%x: tensor<4x8xf32>) attributes {tp.spmd} {
    // expected-error@+1 {{'tp.all_to_all' op expected different split and concat dims, found 1 for both}}
    %0 = tp.all_to_all %x split 1 concat 1 : tensor<4x8xf32> -> tensor<4x8xf32>
    return
  }
}

// -----

// Tests that the dims must be dims of the tensor.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @dim_out_of_range(%x: tensor<4x8xf32>) attributes {tp.spmd} {
    // expected-error@+1 {{'tp.all_to_all' op expected concat in [0, 2), found 2}}
    %0 = tp.all_to_all %x split 1 concat 2 : tensor<4x8xf32> -> tensor<8x4xf32>
    return
  }
}

// -----

// Tests the split side: 8 columns over 2 devices are 4 per device.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @wrong_split(%x: tensor<2x8xf32>) attributes {tp.spmd} {
    // expected-error@+1 {{'tp.all_to_all' op expected dim 1 of the local result to be 4 (8 over 2 devices) or dynamic, found 8}}
    %0 = tp.all_to_all %x split 1 concat 0 : tensor<2x8xf32> -> tensor<4x8xf32>
    return
  }
}

// -----

// Tests the concat side: 4 rows over 2 devices are 2 per device.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @wrong_concat(%x: tensor<3x8xf32>) attributes {tp.spmd} {
    // expected-error@+1 {{'tp.all_to_all' op expected dim 0 of the local operand to be 2 (4 over 2 devices) or dynamic, found 3}}
    %0 = tp.all_to_all %x split 1 concat 0 : tensor<3x8xf32> -> tensor<4x4xf32>
    return
  }
}

// -----

// Tests that an uneven split must be dynamic.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @uneven_static(%x: tensor<3x5xf32>) attributes {tp.spmd} {
    // expected-error@+1 {{'tp.all_to_all' op expected a dynamic dim 1 in the local result: 5 does not split evenly over 2 devices, found 3}}
    %0 = tp.all_to_all %x split 1 concat 0 : tensor<3x5xf32> -> tensor<6x3xf32>
    return
  }
}

// -----

// Tests that a size on a static dimension is an error, for both ops.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @size_on_static(%x: tensor<2x8xf32>, %n: index) attributes {tp.spmd} {
    // expected-error@+1 {{'tp.all_to_all' op has a 'size' operand, but dim 0 of the result is static (4); give 'size' only for a dynamic dimension}}
    %0 = tp.all_to_all %x split 1 concat 0 size %n : tensor<2x8xf32> -> tensor<4x4xf32>
    return
  }
}

// -----

module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @gather_size_on_static(%x: tensor<2x8xf32>, %n: index) attributes {tp.spmd} {
    // expected-error@+1 {{'tp.all_gather' op has a 'size' operand, but dim 0 of the result is static (4); give 'size' only for a dynamic dimension}}
    %0 = tp.all_gather %x along 0 size %n : tensor<2x8xf32> -> tensor<4x8xf32>
    return
  }
}

// -----

// Tests the rank and the mesh.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @rank(%x: tensor<2x8xf32>) attributes {tp.spmd} {
    // expected-error@+1 {{'tp.all_to_all' op expected the same rank in operand and result, found 2 and 3}}
    %0 = tp.all_to_all %x split 1 concat 0 : tensor<2x8xf32> -> tensor<4x4x1xf32>
    return
  }
}
