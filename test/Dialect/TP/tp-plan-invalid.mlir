// RUN: tp-opt %s --tp-plan="batch=8 memory-limit-mib=1" -verify-diagnostics
// RUN: not tp-opt %s --tp-plan="batch=8 memory-limit-mib=1 matmul=blas" 2>&1 | FileCheck %s --check-prefix=BLAS
// RUN: not tp-opt %s --tp-plan="profile=%t.missing" 2>&1 | FileCheck %s --check-prefix=PROFILE
// RUN: echo '{"gemm": []}' > %t.json
// RUN: not tp-opt %s --tp-plan="profile=%t.json" 2>&1 | FileCheck %s --check-prefix=BADJSON
// RUN: not tp-opt %s --tp-plan="memory-limit-mib=-3" 2>&1 | FileCheck %s --check-prefix=NEGATIVE
// RUN: not tp-opt %s --tp-plan="batch=0" 2>&1 | FileCheck %s --check-prefix=BATCH

// Tests the planner's errors: a memory limit no plan fits (with the
// smallest plan's need, which counts the generated matmul's packed buffers
// under the default matmul=auto, and not with sgemm), a missing or
// malformed profile, bad options.
// BLAS: error: no plan fits the memory limit of 1.0 MiB per device: the smallest needs 4.1 MiB
// PROFILE: error: cannot read {{.*}}.missing: No such file or directory
// BADJSON: error: {{.*}}.json: machine profile: 'epilogue_seconds_per_element' must be an object with a positive number for each activation
// NEGATIVE: error: memory-limit-mib must be 0 (no limit) or positive, got -3
// BATCH: error: the planned batch must be at least 1, got 0
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  // expected-error @below {{no plan fits the memory limit of 1.0 MiB per device: the smallest needs 4.6 MiB (weight shards, the input and the live activations at batch 8)}}
  func.func @big(%x: tensor<?x1024xf32>, %w0: tensor<1024x1024xf32>, %w1: tensor<1024x1024xf32>) -> tensor<?x1024xf32> {
    %0 = tp.linear %x, %w0 : tensor<?x1024xf32>, tensor<1024x1024xf32> -> tensor<?x1024xf32>
    %1 = tp.linear %0, %w1 : tensor<?x1024xf32>, tensor<1024x1024xf32> -> tensor<?x1024xf32>
    return %1 : tensor<?x1024xf32>
  }
}
