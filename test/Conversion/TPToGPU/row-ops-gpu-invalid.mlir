// REQUIRES: gpu-backend
// RUN: tp-opt %s -split-input-file --tp-to-gpu-pipeline="format=llvm" -verify-diagnostics

// Tests that the GPU pipeline refuses the row-wise ops, which its
// elementwise kernels cannot compute, before lowering anything.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @softmax(%x: tensor<4x8xf32>) -> tensor<4x8xf32> attributes {tp.spmd} {
    // expected-error@+1 {{'tp.softmax' op is not supported by tp-to-gpu-pipeline: the GPU lowering has no row-wise kernels; compile for the host (CPU threads or MPI), or end the chain before it}}
    %0 = tp.softmax %x : tensor<4x8xf32>
    return %0 : tensor<4x8xf32>
  }
}

// -----

module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @log_softmax(%x: tensor<?x8xf32>) -> tensor<?x8xf32> attributes {tp.spmd} {
    // expected-error@+1 {{'tp.log_softmax' op is not supported by tp-to-gpu-pipeline}}
    %0 = tp.log_softmax %x : tensor<?x8xf32>
    return %0 : tensor<?x8xf32>
  }
}
