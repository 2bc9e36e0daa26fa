// RUN: tp-opt %s --tp-set-mesh=devices=4 | FileCheck %s
// RUN: tp-opt %s --tp-set-mesh=devices=1 | FileCheck %s --check-prefix=ONE
// RUN: not tp-opt %s --tp-set-mesh=devices=0 2>&1 | FileCheck %s --check-prefix=ZERO
// RUN: not tp-opt %s --tp-set-mesh=devices=-2 2>&1 | FileCheck %s --check-prefix=NEGATIVE
// RUN: not tp-opt %s --tp-set-mesh 2>&1 | FileCheck %s --check-prefix=ZERO

// Tests that the pass attaches the mesh, replacing one that was there, and
// that an impossible device count is an error.
// CHECK: module attributes {tp.mesh = #tp.mesh<shape = [4]>}
// ONE: module attributes {tp.mesh = #tp.mesh<shape = [1]>}
// ZERO: error: tp-set-mesh: expected a device count from 1 to 65536, found 0
// NEGATIVE: error: tp-set-mesh: expected a device count from 1 to 65536, found -2
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @f(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
    return %x : tensor<4x8xf32>
  }
}
