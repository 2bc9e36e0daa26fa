// tp.packed_weights (tp-tile-matmuls' pack-weights-ahead) is checked
// against the function it describes.
// RUN: tp-opt %s -split-input-file -verify-diagnostics

// A well-formed entry, with the manifest of the weight as it was.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @ok(%x: tensor<4x300xf32>, %w: tensor<3x300x16x1xf32> {tp.name = "w", tp.shard = #tp.shard<shape = [80, 300], dim = 0, offsets = [0, 40], sizes = [40, 40]>})
      attributes {tp.spmd, tp.packed_weights = [{argument = 1 : i64, k_major = false, rows = 16 : i64, shape = array<i64: 40, 300>}]} {
    return
  }
}

// -----

// expected-error@+1 {{'tp.packed_weights' entry 0: argument #1 must be 'tensor<3x300x16x1xf32>' (its weight packed), found 'tensor<40x300xf32>'}}
func.func @unpacked(%x: tensor<4x300xf32>, %w: tensor<40x300xf32>)
    attributes {tp.packed_weights = [{argument = 1 : i64, k_major = false, rows = 16 : i64, shape = array<i64: 40, 300>}]} {
  return
}

// -----

// K x N: 9 output features, two panels of 8; a K of 40.
// expected-error@+1 {{'tp.packed_weights' entry 0: argument #0 must be 'tensor<2x40x8x1xf32>' (its weight packed), found 'tensor<1x40x16x1xf32>'}}
func.func @k_major(%b: tensor<1x40x16x1xf32>)
    attributes {tp.packed_weights = [{argument = 0 : i64, k_major = true, rows = 8 : i64, shape = array<i64: 40, 9>}]} {
  return
}

// -----

// Every listed argument is checked, whatever the other arguments are.
// expected-error@+1 {{'tp.packed_weights' entry 0: argument #0 must be 'tensor<3x300x16x1xf32>' (its weight packed), found 'tensor<40x300xf32>'}}
func.func @scalar_beside(%w: tensor<40x300xf32>, %s: f32)
    attributes {tp.packed_weights = [{argument = 0 : i64, k_major = false, rows = 16 : i64, shape = array<i64: 40, 300>}]} {
  return
}

// -----

// A vector is not a packed weight.
// expected-error@+1 {{'tp.packed_weights' entry 0: argument #0 must be 'tensor<3x300x16x1xf32>' (its weight packed), found 'vector<3x300x16x1xf32>'}}
func.func @vector(%w: vector<3x300x16x1xf32>, %t: tensor<4xf32>)
    attributes {tp.packed_weights = [{argument = 0 : i64, k_major = false, rows = 16 : i64, shape = array<i64: 40, 300>}]} {
  return
}

// -----

// expected-error@+1 {{'tp.packed_weights' entry 0 must be a dictionary of exactly an i64 'argument'}}
func.func @i1_argument(%w: tensor<3x300x16x1xf32>)
    attributes {tp.packed_weights = [{argument = 0 : i1, k_major = false, rows = 16 : i64, shape = array<i64: 40, 300>}]} {
  return
}

// -----

// expected-error@+1 {{'tp.packed_weights' entry 0: the function has no argument #2}}
func.func @no_argument(%w: tensor<3x300x16x1xf32>)
    attributes {tp.packed_weights = [{argument = 2 : i64, k_major = false, rows = 16 : i64, shape = array<i64: 40, 300>}]} {
  return
}

// -----

// A dynamic K (an uneven column split's) is a dynamic dimension of the
// panels.
// expected-error@+1 {{'tp.packed_weights' entry 0: argument #0 must be 'tensor<3x?x16x1xf32>' (its weight packed), found 'tensor<3x300x16x1xf32>'}}
func.func @dynamic_k(%w: tensor<3x300x16x1xf32>)
    attributes {tp.packed_weights = [{argument = 0 : i64, k_major = false, rows = 16 : i64, shape = array<i64: 40, -9223372036854775808>}]} {
  return
}

// -----

// expected-error@+1 {{'tp.packed_weights' entry 1: argument #0 is listed twice}}
func.func @twice(%w: tensor<3x300x16x1xf32>)
    attributes {tp.packed_weights = [{argument = 0 : i64, k_major = false, rows = 16 : i64, shape = array<i64: 40, 300>}, {argument = 0 : i64, k_major = false, rows = 16 : i64, shape = array<i64: 40, 300>}]} {
  return
}

// -----

// expected-error@+1 {{'tp.packed_weights' entry 0 must be a dictionary of exactly an i64 'argument', an i64 'rows', a bool 'k_major' and an array<i64> 'shape'}}
func.func @missing(%w: tensor<3x300x16x1xf32>)
    attributes {tp.packed_weights = [{argument = 0 : i64, rows = 16 : i64, shape = array<i64: 40, 300>}]} {
  return
}

// -----

// expected-error@+1 {{'tp.packed_weights' entry 0: rows must be 1 to 64, got 0}}
func.func @rows(%w: tensor<3x300x16x1xf32>)
    attributes {tp.packed_weights = [{argument = 0 : i64, k_major = false, rows = 0 : i64, shape = array<i64: 40, 300>}]} {
  return
}

// -----

// expected-error@+1 {{'tp.packed_weights' entry 0: shape must be two sizes, 0 or more, or dynamic}}
func.func @shape(%w: tensor<3x300x16x1xf32>)
    attributes {tp.packed_weights = [{argument = 0 : i64, k_major = false, rows = 16 : i64, shape = array<i64: 40, 300, 1>}]} {
  return
}

// -----

// expected-error@+1 {{'tp.packed_weights' entry 0: the packed weight has more than 2^63 elements}}
func.func @huge(%w: tensor<3x300x16x1xf32>)
    attributes {tp.packed_weights = [{argument = 0 : i64, k_major = false, rows = 16 : i64, shape = array<i64: 9223372036854775807, 9223372036854775807>}]} {
  return
}

// -----

// expected-error@+1 {{'tp.packed_weights' must be an array of dictionaries {argument, rows, k_major, shape}}}
func.func @not_array(%w: tensor<3x300x16x1xf32>) attributes {tp.packed_weights = 3 : i64} {
  return
}

// -----

// expected-error@+1 {{'tp.packed_weights' may only be attached to a function}}
module attributes {tp.packed_weights = []} {
}

// -----

// The manifest is checked against the weight as it was: 40 rows per rank.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  // expected-error@+1 {{argument #1 of type 'tensor<48x300xf32>': dim 0 does not match its tp.shard #tp.shard<shape = [80, 300], dim = 0, offsets = [0, 40], sizes = [40, 40]>}}
  func.func @manifest(%x: tensor<4x300xf32>, %w: tensor<3x300x16x1xf32> {tp.name = "w", tp.shard = #tp.shard<shape = [80, 300], dim = 0, offsets = [0, 40], sizes = [40, 40]>})
      attributes {tp.spmd, tp.packed_weights = [{argument = 1 : i64, k_major = false, rows = 16 : i64, shape = array<i64: 48, 300>}]} {
    return
  }
}
