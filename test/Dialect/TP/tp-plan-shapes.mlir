// RUN: tp-opt %s --split-input-file --tp-plan="batch=8" -verify-diagnostics | FileCheck %s

// The planner plans a chain in one block: a function of two blocks is an
// error at the function, not a plan of its first block alone.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  // expected-error @below {{the planner plans a function of one block; this one has 2}}
  func.func @blocks(%x: tensor<?x8xf32>, %w0: tensor<8x8xf32>, %w1: tensor<8x8xf32>) -> tensor<?x8xf32> {
    %0 = tp.linear %x, %w0 : tensor<?x8xf32>, tensor<8x8xf32> -> tensor<?x8xf32>
    cf.br ^next(%0 : tensor<?x8xf32>)
  ^next(%h: tensor<?x8xf32>):
    %1 = tp.linear %h, %w1 : tensor<?x8xf32>, tensor<8x8xf32> -> tensor<?x8xf32>
    return %1 : tensor<?x8xf32>
  }
}

// -----

// Constants (weights and biases written into the model) are planned
// around; every layer gets a sharding.
// CHECK-LABEL: func.func @constants
// CHECK-COUNT-2: tp.linear {{.*}}sharding(
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @constants(%x: tensor<?x8xf32>, %w1: tensor<8x8xf32>) -> tensor<?x8xf32> {
    %w0 = arith.constant dense<0.5> : tensor<8x8xf32>
    %b0 = arith.constant dense<0.25> : tensor<8xf32>
    %0 = tp.linear %x, %w0, %b0 activation(relu) : tensor<?x8xf32>, tensor<8x8xf32>, tensor<8xf32> -> tensor<?x8xf32>
    %1 = tp.linear %0, %w1 : tensor<?x8xf32>, tensor<8x8xf32> -> tensor<?x8xf32>
    return %1 : tensor<?x8xf32>
  }
}
