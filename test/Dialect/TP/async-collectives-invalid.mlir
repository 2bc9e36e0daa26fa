// RUN: tp-opt %s -split-input-file -verify-diagnostics

module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @never_waited(%p: tensor<4x8xf32>) attributes {tp.spmd} {
    // expected-error@+1 {{'tp.all_reduce_start' op expects its result to be waited for exactly once, found 0 uses}}
    %h = tp.all_reduce_start sum %p : tensor<4x8xf32> -> !tp.pending<tensor<4x8xf32>>
    return
  }
}

// -----

module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @waited_twice(%p: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) attributes {tp.spmd} {
    // expected-error@+1 {{'tp.all_reduce_start' op expects its result to be waited for exactly once, found 2 uses}}
    %h = tp.all_reduce_start sum %p : tensor<4x8xf32> -> !tp.pending<tensor<4x8xf32>>
    %a = tp.wait %h : !tp.pending<tensor<4x8xf32>>
    %b = tp.wait %h : !tp.pending<tensor<4x8xf32>>
    return %a, %b : tensor<4x8xf32>, tensor<4x8xf32>
  }
}

// -----

module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @wrong_type(%p: tensor<4x8xf32>) -> tensor<4x9xf32> attributes {tp.spmd} {
    // expected-error@+1 {{'tp.all_reduce_start' op expects the pending tensor to have the operand's type 'tensor<4x8xf32>', found 'tensor<4x9xf32>'}}
    %h = tp.all_reduce_start sum %p : tensor<4x8xf32> -> !tp.pending<tensor<4x9xf32>>
    %a = tp.wait %h : !tp.pending<tensor<4x9xf32>>
    return %a : tensor<4x9xf32>
  }
}

// -----

module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @bad_gather(%p: tensor<4x8xf32>) -> tensor<4x12xf32> attributes {tp.spmd} {
    // expected-error@+1 {{'tp.all_gather_start' op expected dim 1 of the local operand to be 6 (12 over 2 devices) or dynamic, found 8}}
    %h = tp.all_gather_start %p along 1 : tensor<4x8xf32> -> !tp.pending<tensor<4x12xf32>>
    %a = tp.wait %h : !tp.pending<tensor<4x12xf32>>
    return %a : tensor<4x12xf32>
  }
}

// -----

module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @pending_argument(%h: !tp.pending<tensor<4x8xf32>>) -> tensor<4x8xf32> attributes {tp.spmd} {
    // expected-error@+1 {{'tp.wait' op expects a pending value started in the same block (by 'tp.all_reduce_start' or 'tp.all_gather_start')}}
    %a = tp.wait %h : !tp.pending<tensor<4x8xf32>>
    return %a : tensor<4x8xf32>
  }
}

// -----

module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @model_level(%p: tensor<4x8xf32>) -> tensor<4x8xf32> {
    // expected-error@+1 {{'tp.all_reduce_start' op runs per device and belongs in a partitioned function}}
    %h = tp.all_reduce_start sum %p : tensor<4x8xf32> -> !tp.pending<tensor<4x8xf32>>
    %a = tp.wait %h : !tp.pending<tensor<4x8xf32>>
    return %a : tensor<4x8xf32>
  }
}

// -----

module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @wrong_result(%p: tensor<4x8xf32>) -> tensor<4x8xf32> attributes {tp.spmd} {
    %h = tp.all_reduce_start sum %p : tensor<4x8xf32> -> !tp.pending<tensor<4x8xf32>>
    // expected-error@+1 {{'tp.wait' op failed to verify that the result is the pending value's tensor}}
    %a = "tp.wait"(%h) : (!tp.pending<tensor<4x8xf32>>) -> tensor<4x9xf32>
    return %p : tensor<4x8xf32>
  }
}
