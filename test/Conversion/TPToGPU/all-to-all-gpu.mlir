// RUN: tp-opt %s --convert-tp-to-runtime="runtime=gpu" | FileCheck %s

// Tests that the GPU runtime, which has no all_to_all entry, gets the same
// values from its all_gather and this rank's slice of the result.
// CHECK-LABEL: func.func @batch_to_features
// CHECK-SAME: %{{[^:]*}}: tensor<?x12xf32>, %[[B:[^:]*]]: index
// CHECK: %[[FULL:.*]] = memref.alloc(%[[B]]) : memref<?x12xf32>
// CHECK: call @tp_gpu_all_gather
// CHECK: %[[T:.*]] = bufferization.to_tensor %[[FULL]]
// CHECK: tensor.extract_slice %[[T]][0, %{{.*}}] [%{{.*}}, 4] [1, 1] : tensor<?x12xf32> to tensor<?x4xf32>
// CHECK-NOT: all_to_all
module attributes {tp.mesh = #tp.mesh<shape = [3]>} {
  func.func @batch_to_features(%rows: tensor<?x12xf32>, %b: index) -> tensor<?x4xf32> attributes {tp.spmd} {
    %a = tp.all_to_all %rows split 1 concat 0 size %b : tensor<?x12xf32> -> tensor<?x4xf32>
    return %a : tensor<?x4xf32>
  }
}
