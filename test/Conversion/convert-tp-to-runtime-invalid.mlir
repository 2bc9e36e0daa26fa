// RUN: tp-opt %s --convert-tp-to-runtime -split-input-file -verify-diagnostics

// Tests that a collective on an element type the host runtime does not
// implement is an error naming the op and the type, not a failure to
// legalize or invalid IR.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @f(%x: tensor<4xi32>) -> tensor<4xi32> attributes {tp.spmd} {
    // expected-error@+1 {{'tp.all_reduce' op on 'i32' has no lowering: the host runtime implements f32 collectives}}
    %0 = tp.all_reduce sum %x : tensor<4xi32>
    return %0 : tensor<4xi32>
  }
}
