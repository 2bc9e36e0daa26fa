// RUN: tp-opt %s --convert-tp-to-runtime="runtime=gpu" | FileCheck %s
// RUN: tp-opt %s --tp-insert-profile-timers="runtime=gpu" | FileCheck %s --check-prefix=TIMERS
// RUN: not tp-opt %s --convert-tp-to-runtime="runtime=tpu" 2>&1 | FileCheck %s --check-prefix=BAD

// Tests the GPU runtime's collective ABI: the tp_gpu_* entry points, on
// buffers with an identity layout (a strided operand is copied by
// bufferization, so NCCL gets contiguous memory), the rank from the host
// runtime.
// CHECK-DAG: func.func private @tp_rt_rank() -> i64
// CHECK-DAG: func.func private @tp_gpu_all_gather(memref<*xf32>, memref<*xf32>, i64) attributes {llvm.emit_c_interface}
// CHECK-DAG: func.func private @tp_gpu_all_reduce(memref<*xf32>, memref<*xf32>, i32) attributes {llvm.emit_c_interface}
// CHECK-DAG: func.func private @tp_gpu_reduce_scatter(memref<*xf32>, memref<*xf32>, i64, i32) attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @collectives
// CHECK: %[[SLICE:.*]] = tensor.extract_slice %arg0
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<4x10xf32>
// CHECK: %[[IN:.*]] = bufferization.to_buffer %[[SLICE]] read_only : tensor<4x?xf32> to memref<4x?xf32>
// CHECK: memref.cast %[[IN]] : memref<4x?xf32> to memref<*xf32>
// CHECK: call @tp_gpu_all_gather(
// CHECK: call @tp_gpu_all_reduce(
// CHECK: call @tp_gpu_reduce_scatter(
// CHECK-NOT: tp_rt_all
// TIMERS-DAG: func.func private @tp_rt_gpu_timer_begin(i64)
// TIMERS-DAG: func.func private @tp_rt_gpu_timer_end(i64)
// TIMERS-LABEL: func.func @collectives
// TIMERS-SAME: tp.profile = ["communication {{.*}}", "communication {{.*}}", "communication {{.*}}", "communication {{.*}}"]
// TIMERS: call @tp_rt_gpu_timer_begin
// TIMERS-NOT: call @tp_rt_timer_begin
// BAD: unknown value 'tpu'; expected one of: host, gpu
module attributes {tp.mesh = #tp.mesh<shape = [3]>} {
  func.func @collectives(%a: tensor<4x10xf32>) -> tensor<4x10xf32> attributes {tp.spmd} {
    %s = tp.all_slice %a along 1 : tensor<4x10xf32> -> tensor<4x?xf32>
    %g = tp.all_gather %s along 1 : tensor<4x?xf32> -> tensor<4x10xf32>
    %r = tp.all_reduce max %g : tensor<4x10xf32>
    %rs = tp.reduce_scatter sum %r along 1 : tensor<4x10xf32> -> tensor<4x?xf32>
    %g2 = tp.all_gather %rs along 1 : tensor<4x?xf32> -> tensor<4x10xf32>
    return %g2 : tensor<4x10xf32>
  }
}
