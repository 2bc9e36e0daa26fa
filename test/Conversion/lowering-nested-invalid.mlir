// RUN: tp-opt %s --tp-to-llvm-pipeline -verify-diagnostics
// RUN: tp-opt %s --pass-pipeline='builtin.module(builtin.module(tp-to-llvm-pipeline))' | FileCheck %s --check-prefix=TARGETED

// The lowering pipelines take the functions of the module they run on;
// partitioned code in a nested module is refused with a way out, not left
// to fail in bufferization. Run on the nested module, it lowers.
// TARGETED: llvm.func @f(
module {
  // expected-error @below {{is a nested module with tp code; tp-to-llvm-pipeline lowers the functions of the module it runs on: run it on this one (--pass-pipeline='builtin.module(builtin.module(tp-to-llvm-pipeline))') or move the functions up}}
  module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
    func.func @f(%p: tensor<4x8xf32>) -> tensor<4x8xf32> attributes {tp.spmd} {
      %s = tp.all_reduce sum %p : tensor<4x8xf32>
      return %s : tensor<4x8xf32>
    }
  }
}
