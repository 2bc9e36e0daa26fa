// RUN: tp-opt %s -split-input-file --convert-tp-to-runtime | FileCheck %s
// RUN: not tp-opt %s -split-input-file --convert-tp-to-runtime=runtime=gpu 2>&1 | FileCheck %s --check-prefix=GPU
// RUN: tp-opt %s -split-input-file --tp-to-llvm-pipeline | FileCheck %s --check-prefix=LLVM
// RUN: tp-opt %s -split-input-file --tp-to-llvm-pipeline | FileCheck %s --check-prefix=NOCOPY

// The start allocates the result and calls the runtime, which returns a
// handle; the wait calls it with the handle and the same buffers, and the
// result becomes a tensor there.
// CHECK-DAG: func.func private @tp_rt_all_reduce_start(memref<*xf32>, memref<*xf32>, i32) -> i64 attributes {llvm.emit_c_interface}
// CHECK-DAG: func.func private @tp_rt_all_gather_start(memref<*xf32>, memref<*xf32>, i64) -> i64 attributes {llvm.emit_c_interface}
// CHECK-DAG: func.func private @tp_rt_wait(i64, memref<*xf32>, memref<*xf32>) attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @async
// CHECK: %[[OUT:.*]] = memref.alloc(%{{.*}}) : memref<?x8xf32>
// CHECK: %[[IN:.*]] = bufferization.to_buffer %arg0 read_only
// CHECK: %[[INU:.*]] = memref.cast %[[IN]]
// CHECK: %[[OUTU:.*]] = memref.cast %[[OUT]] : memref<?x8xf32> to memref<*xf32>
// CHECK: %[[H:.*]] = call @tp_rt_all_reduce_start(%[[INU]], %[[OUTU]], %{{.*}}) : (memref<*xf32>, memref<*xf32>, i32) -> i64
// CHECK: %[[GOUT:.*]] = memref.alloc(%{{.*}}) : memref<?x8xf32>
// CHECK: %[[G:.*]] = call @tp_rt_all_gather_start
// The input is read again at the wait: nothing may write it in place while
// the runtime reads it.
// CHECK: %[[AGAIN:.*]] = bufferization.to_buffer %arg0 read_only
// CHECK: %[[AGAINU:.*]] = memref.cast %[[AGAIN]]
// CHECK: call @tp_rt_wait(%[[H]], %[[AGAINU]], %[[OUTU]]) : (i64, memref<*xf32>, memref<*xf32>) -> ()
// CHECK: bufferization.to_tensor %[[OUT]] restrict writable : memref<?x8xf32> to tensor<?x8xf32>
// CHECK: call @tp_rt_wait(%[[G]],
// CHECK: bufferization.to_tensor %[[GOUT]] restrict writable
// GPU: error: 'tp.all_reduce_start' op cannot be lowered: the GPU runtime has no asynchronous collectives (use tp.all_reduce and tp.all_gather)

// No call of the C runner utilities' memrefCopy: the copies of the join
// are loops.
// NOCOPY-NOT: memrefCopy
// LLVM-DAG: llvm.call @_mlir_ciface_tp_rt_all_reduce_start
// LLVM-DAG: llvm.call @_mlir_ciface_tp_rt_all_gather_start
// LLVM-DAG: llvm.call @_mlir_ciface_tp_rt_wait
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @async(%p: tensor<?x8xf32>, %q: tensor<?x4xf32>) -> tensor<?x8xf32> attributes {tp.spmd} {
    %h = tp.all_reduce_start sum %p : tensor<?x8xf32> -> !tp.pending<tensor<?x8xf32>>
    %g = tp.all_gather_start %q along 1 : tensor<?x4xf32> -> !tp.pending<tensor<?x8xf32>>
    %r = tp.wait %h : !tp.pending<tensor<?x8xf32>>
    %a = tp.wait %g : !tp.pending<tensor<?x8xf32>>
    %y = tensor.concat dim(0) %r, %a : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
    return %y : tensor<?x8xf32>
  }
}

// -----

// An in-place join (what tp-overlap-collectives makes): one buffer for the
// output, each collective writing its rows of it, and no copy.
// CHECK-LABEL: func.func @join
// CHECK: %[[FULL:.*]] = memref.alloc(%{{.*}}) : memref<?x8xf32>
// CHECK: %[[ROWS0:.*]] = memref.subview %[[FULL]][%{{.*}}, 0] [%{{.*}}, 8] [1, 1] : memref<?x8xf32> to memref<?x8xf32, strided<[8, 1], offset: ?>>
// CHECK: %[[OUT0:.*]] = memref.cast %[[ROWS0]] : memref<?x8xf32, strided<[8, 1], offset: ?>> to memref<*xf32>
// CHECK: %[[H0:.*]] = call @tp_rt_all_reduce_start(%{{.*}}, %[[OUT0]], %{{.*}})
// CHECK: %[[ROWS1:.*]] = memref.subview %[[FULL]][%{{.*}}, 0] [%{{.*}}, 8] [1, 1]
// CHECK: %[[H1:.*]] = call @tp_rt_all_reduce_start
// CHECK: call @tp_rt_wait(%[[H0]]
// CHECK: call @tp_rt_wait(%[[H1]]
// CHECK-NOT: tensor.insert_slice
// CHECK: %[[Y:.*]] = bufferization.to_tensor %[[FULL]] restrict writable : memref<?x8xf32> to tensor<?x8xf32>
// CHECK: return %[[Y]]
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @join(%p: tensor<?x8xf32>, %q: tensor<?x8xf32>, %m: index, %n: index) -> tensor<?x8xf32> attributes {tp.spmd} {
    %c0 = arith.constant 0 : index
    %rows = arith.addi %m, %n : index
    %e = tensor.empty(%rows) : tensor<?x8xf32>
    %h = tp.all_reduce_start sum %p : tensor<?x8xf32> -> !tp.pending<tensor<?x8xf32>>
    %g = tp.all_reduce_start sum %q : tensor<?x8xf32> -> !tp.pending<tensor<?x8xf32>>
    %r = tp.wait %h : !tp.pending<tensor<?x8xf32>>
    %i0 = tensor.insert_slice %r into %e[%c0, 0] [%m, 8] [1, 1] : tensor<?x8xf32> into tensor<?x8xf32>
    %a = tp.wait %g : !tp.pending<tensor<?x8xf32>>
    %i1 = tensor.insert_slice %a into %i0[%m, 0] [%n, 8] [1, 1] : tensor<?x8xf32> into tensor<?x8xf32>
    return %i1 : tensor<?x8xf32>
  }
}

// -----

// Pieces whose collectives complete in another order than their inserts
// are not written in place: each gets a buffer of its own, and the inserts
// stay (bufferization copies them in order).
// CHECK-LABEL: func.func @join_out_of_order
// CHECK: memref.alloc(%{{.*}}) : memref<?x8xf32>
// CHECK: memref.alloc(%{{.*}}) : memref<?x8xf32>
// CHECK-NOT: memref.subview
// CHECK: tensor.insert_slice
// CHECK: tensor.insert_slice
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @join_out_of_order(%p: tensor<?x8xf32>, %q: tensor<?x8xf32>, %m: index, %n: index) -> tensor<?x8xf32> attributes {tp.spmd} {
    %c0 = arith.constant 0 : index
    %rows = arith.addi %m, %n : index
    %e = tensor.empty(%rows) : tensor<?x8xf32>
    %h = tp.all_reduce_start sum %p : tensor<?x8xf32> -> !tp.pending<tensor<?x8xf32>>
    %g = tp.all_reduce_start sum %q : tensor<?x8xf32> -> !tp.pending<tensor<?x8xf32>>
    %r = tp.wait %h : !tp.pending<tensor<?x8xf32>>
    %a = tp.wait %g : !tp.pending<tensor<?x8xf32>>
    %i0 = tensor.insert_slice %a into %e[%c0, 0] [%n, 8] [1, 1] : tensor<?x8xf32> into tensor<?x8xf32>
    %i1 = tensor.insert_slice %r into %i0[%n, 0] [%m, 8] [1, 1] : tensor<?x8xf32> into tensor<?x8xf32>
    return %i1 : tensor<?x8xf32>
  }
}
