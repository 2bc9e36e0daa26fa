// REQUIRES: gpu-backend
// Tests that the activations with parameters lower to GPU kernels whose PTX
// the toolkit's ptxas accepts for sm_90,
// fused into a layer and on their own, after cuBLASLt's matmul and with the
// generated one.
// RUN: rm -rf %t && mkdir -p %t
// RUN: tp-opt %s --tp-to-gpu-pipeline="format=isa" -o %t/blas.mlir
// RUN: tp-opt %s --tp-to-gpu-pipeline="matmul=codegen format=isa" -o %t/codegen.mlir
// RUN: %python %S/../Inputs/gpu-objects.py %t/blas.mlir %t/blas > %t/ptx.list
// RUN: %python %S/../Inputs/gpu-objects.py %t/codegen.mlir %t/codegen >> %t/ptx.list
// RUN: for f in $(cat %t/ptx.list); do %ptxas -arch=sm_90 $f -o $f.cubin || exit 1; done
// RUN: cat %t/blas.mlir %t/codegen.mlir | FileCheck %s
// CHECK-COUNT-2: gpu.binary @acts_kernel
// CHECK-NOT: = tp.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @acts(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>, %b: tensor<8xf32>) -> tensor<4x8xf32> attributes {tp.spmd} {
    %0 = tp.local_linear %x, %w, %b activation(leaky_relu(0.2)) : tensor<4x8xf32>, tensor<8x8xf32>, tensor<8xf32> -> tensor<4x8xf32>
    %1 = tp.local_linear %0, %w, %b activation(elu(0.5)) : tensor<4x8xf32>, tensor<8x8xf32>, tensor<8xf32> -> tensor<4x8xf32>
    %2 = tp.activation selu %1 : tensor<4x8xf32>
    %3 = tp.activation softplus(2.0, 5.0) %2 : tensor<4x8xf32>
    %4 = tp.activation mish %3 : tensor<4x8xf32>
    %5 = tp.local_linear %4, %w activation(hardtanh(0.0, 6.0)) : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
    %6 = tp.activation hardsigmoid %5 : tensor<4x8xf32>
    %7 = tp.activation hardswish %6 : tensor<4x8xf32>
    return %7 : tensor<4x8xf32>
  }
}
