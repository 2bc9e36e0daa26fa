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
// CHECK: call @tp_rt_wait(%[[H]], %[[INU]], %[[OUTU]]) : (i64, memref<*xf32>, memref<*xf32>) -> ()
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
