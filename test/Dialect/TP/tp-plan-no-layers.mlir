// RUN: tp-opt %s --tp-plan="batch=100000 memory-limit-mib=1" -verify-diagnostics
// RUN: tp-opt %s --tp-plan="batch=1000 memory-limit-mib=1" | FileCheck %s

// Tests that a memory limit holds for a function without layers: nothing is
// split, so every device holds its values whole. At batch 100,000 the
// softmax's operand and result take 3.8 MiB (refused under 1 MiB); at
// batch 1,000, 39 KiB (planned: nothing changes).
// CHECK-LABEL: func.func @rows
// CHECK-NEXT: tp.softmax
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  // expected-error @below {{no plan fits the memory limit of 1.0 MiB per device: the function has no tp.linear layer to split, so every device holds its values whole, 3.8 MiB at batch 100000 (the arguments, or an op's operands and result)}}
  func.func @rows(%x: tensor<?x5xf32>) -> tensor<?x5xf32> {
    %0 = tp.softmax %x : tensor<?x5xf32>
    return %0 : tensor<?x5xf32>
  }
}
