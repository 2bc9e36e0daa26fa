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

// -----

// Collectives complete in the order they start: waiting for a younger one
// first would leave the devices waiting in different collectives.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @out_of_order(%p: tensor<4x8xf32>, %q: tensor<4x8xf32>) -> tensor<4x8xf32> attributes {tp.spmd} {
    // expected-error@+1 {{'tp.all_reduce_start' op expects its 'tp.wait' before that of every collective started after it, found the 'tp.all_reduce_start' at}}
    %h = tp.all_reduce_start sum %p : tensor<4x8xf32> -> !tp.pending<tensor<4x8xf32>>
    %g = tp.all_reduce_start sum %q : tensor<4x8xf32> -> !tp.pending<tensor<4x8xf32>>
    %b = tp.wait %g : !tp.pending<tensor<4x8xf32>>
    %a = tp.wait %h : !tp.pending<tensor<4x8xf32>>
    %s = arith.addf %a, %b : tensor<4x8xf32>
    return %s : tensor<4x8xf32>
  }
}

// -----

// Three in flight is the most the runtimes keep; a fourth is refused.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @four_in_flight(%p: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) attributes {tp.spmd} {
    // expected-error@+1 {{'tp.all_reduce_start' op expects at most 3 asynchronous collectives in flight at once, found 4 before its 'tp.wait'}}
    %h0 = tp.all_reduce_start sum %p : tensor<4x8xf32> -> !tp.pending<tensor<4x8xf32>>
    %h1 = tp.all_reduce_start sum %p : tensor<4x8xf32> -> !tp.pending<tensor<4x8xf32>>
    %h2 = tp.all_reduce_start sum %p : tensor<4x8xf32> -> !tp.pending<tensor<4x8xf32>>
    %h3 = tp.all_reduce_start sum %p : tensor<4x8xf32> -> !tp.pending<tensor<4x8xf32>>
    %a0 = tp.wait %h0 : !tp.pending<tensor<4x8xf32>>
    %a1 = tp.wait %h1 : !tp.pending<tensor<4x8xf32>>
    %a2 = tp.wait %h2 : !tp.pending<tensor<4x8xf32>>
    %a3 = tp.wait %h3 : !tp.pending<tensor<4x8xf32>>
    return %a0, %a1, %a2, %a3 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
  }
}

// -----

// Three at once, waited in order, and a fourth once the first completes:
// accepted.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @three_in_flight(%p: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x16xf32>, tensor<4x8xf32>) attributes {tp.spmd} {
    %h0 = tp.all_reduce_start sum %p : tensor<4x8xf32> -> !tp.pending<tensor<4x8xf32>>
    %h1 = tp.all_reduce_start sum %p : tensor<4x8xf32> -> !tp.pending<tensor<4x8xf32>>
    %h2 = tp.all_gather_start %p along 1 : tensor<4x8xf32> -> !tp.pending<tensor<4x16xf32>>
    %a0 = tp.wait %h0 : !tp.pending<tensor<4x8xf32>>
    %h3 = tp.all_reduce_start sum %p : tensor<4x8xf32> -> !tp.pending<tensor<4x8xf32>>
    %a1 = tp.wait %h1 : !tp.pending<tensor<4x8xf32>>
    %a2 = tp.wait %h2 : !tp.pending<tensor<4x16xf32>>
    %a3 = tp.wait %h3 : !tp.pending<tensor<4x8xf32>>
    return %a0, %a1, %a2, %a3 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x16xf32>, tensor<4x8xf32>
  }
}

// -----

// Collectives started inside a region while others are in flight count
// with them.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @nested(%p: tensor<4x8xf32>, %c: i1) -> (tensor<4x8xf32>, tensor<4x8xf32>) attributes {tp.spmd} {
    // expected-error@+1 {{'tp.all_reduce_start' op expects at most 3 asynchronous collectives in flight at once, found 4 before its 'tp.wait'}}
    %h0 = tp.all_reduce_start sum %p : tensor<4x8xf32> -> !tp.pending<tensor<4x8xf32>>
    %h1 = tp.all_reduce_start sum %p : tensor<4x8xf32> -> !tp.pending<tensor<4x8xf32>>
    %r = scf.if %c -> tensor<4x8xf32> {
      %g0 = tp.all_reduce_start sum %p : tensor<4x8xf32> -> !tp.pending<tensor<4x8xf32>>
      %g1 = tp.all_reduce_start sum %p : tensor<4x8xf32> -> !tp.pending<tensor<4x8xf32>>
      %b0 = tp.wait %g0 : !tp.pending<tensor<4x8xf32>>
      %b1 = tp.wait %g1 : !tp.pending<tensor<4x8xf32>>
      scf.yield %b1 : tensor<4x8xf32>
    } else {
      scf.yield %p : tensor<4x8xf32>
    }
    %a0 = tp.wait %h0 : !tp.pending<tensor<4x8xf32>>
    %a1 = tp.wait %h1 : !tp.pending<tensor<4x8xf32>>
    return %a0, %r : tensor<4x8xf32>, tensor<4x8xf32>
  }
}
