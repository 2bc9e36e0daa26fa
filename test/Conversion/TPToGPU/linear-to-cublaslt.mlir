// RUN: tp-opt %s -split-input-file --tp-linear-to-cublaslt | FileCheck %s

// Tests that each local matmul becomes one cuBLASLt call on device buffers:
// bias and gelu_tanh fused into the epilogue (2), relu with bias (1), no
// epilogue without an activation (0), and an activation cuBLASLt lacks
// (silu) applied after the call as tp.activation. Reductions and
// bias_activation after them are left for the other passes.
// CHECK-DAG: func.func private @tp_gpu_matmul_nt_bias(memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?xf32, strided<[?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i32) attributes {llvm.emit_c_interface}
// CHECK-DAG: func.func private @tp_gpu_matmul_nt(memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, i32) attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @chain
// CHECK-DAG: %[[NONE:.*]] = arith.constant 0 : i32
// CHECK-DAG: %[[GELU:.*]] = arith.constant 2 : i32
// CHECK-DAG: %[[RELU:.*]] = arith.constant 1 : i32
// CHECK: %[[Y0:.*]] = memref.alloc() : memref<4x3xf32>
// CHECK: call @tp_gpu_matmul_nt_bias(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[GELU]])
// CHECK: bufferization.to_tensor %[[Y0]] restrict writable : memref<4x3xf32> to tensor<4x3xf32>
// CHECK: call @tp_gpu_matmul_nt(%{{.*}}, %{{.*}}, %{{.*}}, %[[NONE]])
// CHECK: tp.all_reduce sum
// CHECK: tp.bias_activation %{{.*}}, %{{.*}} activation(relu)
// CHECK: call @tp_gpu_matmul_nt(%{{.*}}, %{{.*}}, %{{.*}}, %[[NONE]])
// CHECK: tp.activation silu
// CHECK: call @tp_gpu_matmul_nt_bias(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[RELU]])
// CHECK-NOT: tp.local_linear
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @chain(%x: tensor<4x8xf32>, %w0: tensor<3x8xf32>, %b0: tensor<3xf32>, %w1: tensor<8x3xf32>, %b1: tensor<8xf32>, %w2: tensor<5x8xf32>, %w3: tensor<6x5xf32>, %b3: tensor<6xf32>) -> tensor<4x6xf32> attributes {tp.spmd} {
    %0 = tp.local_linear %x, %w0, %b0 activation(gelu_tanh) : tensor<4x8xf32>, tensor<3x8xf32>, tensor<3xf32> -> tensor<4x3xf32>
    %1 = tp.local_linear %0, %w1 : tensor<4x3xf32>, tensor<8x3xf32> -> tensor<4x8xf32>
    %2 = tp.all_reduce sum %1 : tensor<4x8xf32>
    %3 = tp.bias_activation %2, %b1 activation(relu) : tensor<4x8xf32>, tensor<8xf32>
    %4 = tp.local_linear %3, %w2 activation(silu) : tensor<4x8xf32>, tensor<5x8xf32> -> tensor<4x5xf32>
    %5 = tp.local_linear %4, %w3, %b3 activation(relu) : tensor<4x5xf32>, tensor<6x5xf32>, tensor<6xf32> -> tensor<4x6xf32>
    return %5 : tensor<4x6xf32>
  }
}

// -----

// Tests the exact erf gelu, which cuBLASLt has no epilogue for: bias fused,
// the activation after. A dynamic batch sizes the result from the input.
// CHECK-LABEL: func.func @erf_gelu
// CHECK: %[[B:.*]] = tensor.dim %arg0, %{{.*}} : tensor<?x8xf32>
// CHECK: memref.alloc(%[[B]]) : memref<?x3xf32>
// CHECK: call @tp_gpu_matmul_nt_bias(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}})
// CHECK: tp.activation gelu %{{.*}} : tensor<?x3xf32>
module attributes {tp.mesh = #tp.mesh<shape = [1]>} {
  func.func @erf_gelu(%x: tensor<?x8xf32>, %w: tensor<3x8xf32>, %b: tensor<3xf32>) -> tensor<?x3xf32> attributes {tp.spmd} {
    %0 = tp.local_linear %x, %w, %b activation(gelu) : tensor<?x8xf32>, tensor<3x8xf32>, tensor<3xf32> -> tensor<?x3xf32>
    return %0 : tensor<?x3xf32>
  }
}
