// Elementwise arith and math on tensors in hand-written SPMD code lower with
// the rest (as linalg.generic, like the epilogues), on the CPU and the GPU,
// instead of stopping bufferization with "op was not bufferized".
// RUN: tp-opt %s --tp-to-llvm-pipeline | FileCheck %s --check-prefix=CPU
// RUN: tp-opt %s --tp-to-gpu-pipeline="format=llvm" | FileCheck %s --check-prefix=GPU

module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func private @part(%x: tensor<4x8xf32>) -> tensor<4x8xf32> attributes {tp.spmd} {
    %0 = tp.all_reduce sum %x : tensor<4x8xf32>
    return %0 : tensor<4x8xf32>
  }
  func.func @caller(%x: tensor<4x8xf32>) -> tensor<4x8xf32> attributes {tp.spmd} {
    %0 = func.call @part(%x) : (tensor<4x8xf32>) -> tensor<4x8xf32>
    %1 = func.call @part(%0) : (tensor<4x8xf32>) -> tensor<4x8xf32>
    %2 = arith.addf %0, %1 : tensor<4x8xf32>
    %3 = math.exp %2 : tensor<4x8xf32>
    return %3 : tensor<4x8xf32>
  }
}

// CPU: llvm.func @caller(
// CPU: llvm.fadd
// CPU: llvm.return

// GPU: llvm.func @caller(
// GPU: gpu.binary @caller_kernel
