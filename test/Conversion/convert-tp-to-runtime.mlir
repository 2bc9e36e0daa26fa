// RUN: tp-opt %s -split-input-file --convert-tp-to-runtime | FileCheck %s

// Tests the collectives of an uneven split over 3 devices: all_slice is an
// extract_slice at the rank's balanced offset (10 = 4 + 3 + 3), the others
// call the runtime on buffers, reduce_scatter's result sized from the rank.
// CHECK-DAG: func.func private @tp_rt_rank() -> i64
// CHECK-DAG: func.func private @tp_rt_all_gather(memref<*xf32>, memref<*xf32>, i64) attributes {llvm.emit_c_interface}
// CHECK-DAG: func.func private @tp_rt_all_reduce(memref<*xf32>, memref<*xf32>, i32) attributes {llvm.emit_c_interface}
// CHECK-DAG: func.func private @tp_rt_reduce_scatter(memref<*xf32>, memref<*xf32>, i64, i32) attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @collectives
// CHECK-SAME: %arg1: tensor<?x8xf32>) -> tensor<4x10xf32> attributes {llvm.emit_c_interface, tp.spmd}
// CHECK-NOT: tp.name
// CHECK: %[[R64:.*]] = call @tp_rt_rank() : () -> i64
// CHECK: %[[R:.*]] = arith.index_cast %[[R64]] : i64 to index
// CHECK: %[[Q:.*]] = arith.divui %{{.*}}, %{{.*}} : index
// CHECK: %[[REM:.*]] = arith.remui
// CHECK: %[[EXTRA:.*]] = arith.cmpi ult, %[[R]], %[[REM]] : index
// CHECK: %[[SIZE:.*]] = arith.addi %[[Q]], %{{.*}} : index
// CHECK-DAG: %[[MUL:.*]] = arith.muli %[[R]], %[[Q]] : index
// CHECK-DAG: %[[MIN:.*]] = arith.minui %[[R]], %[[REM]] : index
// CHECK: %[[OFF:.*]] = arith.addi %[[MUL]], %[[MIN]] : index
// CHECK: %[[SLICE:.*]] = tensor.extract_slice %arg0[0, %[[OFF]]] [4, %[[SIZE]]] [1, 1] : tensor<4x10xf32> to tensor<4x?xf32>
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<4x10xf32>
// CHECK: %[[IN:.*]] = bufferization.to_buffer %[[SLICE]] read_only : tensor<4x?xf32> to memref<4x?xf32, strided<[?, ?], offset: ?>>
// CHECK: %[[INU:.*]] = memref.cast %[[IN]] : memref<4x?xf32, strided<[?, ?], offset: ?>> to memref<*xf32>
// CHECK: %[[OUTU:.*]] = memref.cast %[[OUT]] : memref<4x10xf32> to memref<*xf32>
// CHECK: call @tp_rt_all_gather(%[[INU]], %[[OUTU]], %{{.*}}) : (memref<*xf32>, memref<*xf32>, i64) -> ()
// CHECK: %[[G:.*]] = bufferization.to_tensor %[[OUT]] restrict writable : memref<4x10xf32> to tensor<4x10xf32>
// CHECK: memref.alloc() : memref<4x10xf32>
// CHECK: call @tp_rt_all_reduce
// CHECK: %[[RS:.*]] = memref.alloc(%{{.*}}) : memref<4x?xf32>
// CHECK: call @tp_rt_reduce_scatter
// CHECK: bufferization.to_tensor %[[RS]] restrict writable : memref<4x?xf32> to tensor<4x?xf32>
module attributes {tp.mesh = #tp.mesh<shape = [3]>} {
  func.func @collectives(%a: tensor<4x10xf32>, %w: tensor<?x8xf32> {tp.name = "w", tp.shard = #tp.shard<shape = [10, 8], dim = 0, offsets = [0, 4, 7], sizes = [4, 3, 3]>}) -> tensor<4x10xf32> attributes {tp.spmd} {
    %s = tp.all_slice %a along 1 : tensor<4x10xf32> -> tensor<4x?xf32>
    %g = tp.all_gather %s along 1 : tensor<4x?xf32> -> tensor<4x10xf32>
    %r = tp.all_reduce max %g : tensor<4x10xf32>
    %rs = tp.reduce_scatter sum %r along 1 : tensor<4x10xf32> -> tensor<4x?xf32>
    %g2 = tp.all_gather %rs along 1 : tensor<4x?xf32> -> tensor<4x10xf32>
    return %g2 : tensor<4x10xf32>
  }
}

// -----

// Tests that an even split slices with static sizes.
// CHECK-LABEL: func.func @even
// CHECK: tensor.extract_slice %arg0[0, %{{.*}}] [4, 5] [1, 1] : tensor<4x10xf32> to tensor<4x5xf32>
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @even(%a: tensor<4x10xf32>) -> tensor<4x5xf32> attributes {tp.spmd} {
    %s = tp.all_slice %a along 1 : tensor<4x10xf32> -> tensor<4x5xf32>
    return %s : tensor<4x5xf32>
  }
}

// -----

// Tests that a slice whose result is static where the operand is dynamic,
// or the reverse, in a dimension it does not split, is cast to the
// result's type.
// CHECK-LABEL: func.func @mixed
// CHECK: %[[S1:.*]] = tensor.extract_slice %arg0[0, %{{.*}}] [4, 4] [1, 1] : tensor<4x8xf32> to tensor<4x4xf32>
// CHECK: tensor.cast %[[S1]] : tensor<4x4xf32> to tensor<?x4xf32>
// CHECK: %[[S2:.*]] = tensor.extract_slice %arg1[0, %{{.*}}] [%{{.*}}, 4] [1, 1] : tensor<?x8xf32> to tensor<?x4xf32>
// CHECK: tensor.cast %[[S2]] : tensor<?x4xf32> to tensor<4x4xf32>
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @mixed(%a: tensor<4x8xf32>, %b: tensor<?x8xf32>) -> (tensor<?x4xf32>, tensor<4x4xf32>) attributes {tp.spmd} {
    %s = tp.all_slice %a along 1 : tensor<4x8xf32> -> tensor<?x4xf32>
    %t = tp.all_slice %b along 1 : tensor<?x8xf32> -> tensor<4x4xf32>
    return %s, %t : tensor<?x4xf32>, tensor<4x4xf32>
  }
}

// -----

// Tests the batch split's collectives over 3 devices: the sized gather
// allocates the full batch it is given, and all_to_all allocates the full
// batch by rows and its balanced share of the features, then calls the
// runtime with (split, concat).
// CHECK-LABEL: func.func @batch_moves
// CHECK-SAME: %[[ROWS:[^:]*]]: tensor<?x12xf32>, %[[B:[^:]*]]: index
// CHECK: %[[G:.*]] = memref.alloc(%[[B]]) : memref<?x12xf32>
// CHECK: call @tp_rt_all_gather
// CHECK: %[[SPLIT:.*]] = arith.constant 1 : i64
// CHECK: %[[CONCAT:.*]] = arith.constant 0 : i64
// CHECK: %[[A:.*]] = memref.alloc(%[[B]]) : memref<?x4xf32>
// CHECK: call @tp_rt_all_to_all(%{{.*}}, %{{.*}}, %[[SPLIT]], %[[CONCAT]]) : (memref<*xf32>, memref<*xf32>, i64, i64) -> ()
// CHECK: %[[BACK:.*]] = memref.alloc(%{{.*}}) : memref<?x12xf32>
// CHECK: call @tp_rt_all_to_all
module attributes {tp.mesh = #tp.mesh<shape = [3]>} {
  func.func @batch_moves(%rows: tensor<?x12xf32>, %b: index) -> (tensor<?x12xf32>, tensor<?x12xf32>) attributes {tp.spmd} {
    %g = tp.all_gather %rows along 0 size %b : tensor<?x12xf32> -> tensor<?x12xf32>
    %a = tp.all_to_all %rows split 1 concat 0 size %b : tensor<?x12xf32> -> tensor<?x4xf32>
    %back = tp.all_to_all %a split 0 concat 1 : tensor<?x4xf32> -> tensor<?x12xf32>
    return %g, %back : tensor<?x12xf32>, tensor<?x12xf32>
  }
}
