// tp's pipelines run on a module; nested under a function they are an
// error on each function, where adding their module passes stopped the
// process with LLVM's fatal error.
// RUN: tp-opt %s -verify-diagnostics --pass-pipeline="builtin.module(func.func(tp-partition-pipeline))"
// RUN: not tp-opt %s --pass-pipeline="builtin.module(func.func(tp-to-llvm-pipeline))" 2>&1 | FileCheck %s --check-prefix=LLVM
// RUN: not tp-opt %s --pass-pipeline="builtin.module(func.func(tp-to-gpu-pipeline))" 2>&1 | FileCheck %s --check-prefix=GPU
// RUN: not tp-opt %s --pass-pipeline="builtin.module(func.func(tp-shard-to-tp-pipeline))" 2>&1 | FileCheck %s --check-prefix=SHARD
// LLVM: error: tp-to-llvm-pipeline runs on a builtin.module, not nested in 'func.func'
// GPU: error: tp-to-gpu-pipeline runs on a builtin.module, not nested in 'func.func'
// SHARD: error: tp-shard-to-tp-pipeline runs on a builtin.module, not nested in 'func.func'

// expected-error @below {{tp-partition-pipeline runs on a builtin.module, not nested in 'func.func': its passes transform the module's functions together; run it as builtin.module(tp-partition-pipeline)}}
func.func @f(%x: tensor<?x4xf32>, %w: tensor<3x4xf32>) -> tensor<?x3xf32> {
  %0 = tp.linear %x, %w : tensor<?x4xf32>, tensor<3x4xf32> -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}
