// RUN: tp-opt %s -split-input-file --convert-tp-to-runtime -verify-diagnostics

// Tests that a gather along a dynamic dimension needs its full extent.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @unsized_gather(%rows: tensor<?x12xf32>) -> tensor<?x12xf32> attributes {tp.spmd} {
    // expected-error@+1 {{'tp.all_gather' op gathers along dim 0, which is dynamic in the result, without a 'size' operand: code cannot allocate the result without its full extent}}
    %g = tp.all_gather %rows along 0 : tensor<?x12xf32> -> tensor<?x12xf32>
    return %g : tensor<?x12xf32>
  }
}

// -----

module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @unsized_all_to_all(%rows: tensor<?x12xf32>) -> tensor<?x6xf32> attributes {tp.spmd} {
    // expected-error@+1 {{'tp.all_to_all' op gathers along dim 0, which is dynamic in the result, without a 'size' operand: code cannot allocate the result without its full extent}}
    %a = tp.all_to_all %rows split 1 concat 0 : tensor<?x12xf32> -> tensor<?x6xf32>
    return %a : tensor<?x6xf32>
  }
}
