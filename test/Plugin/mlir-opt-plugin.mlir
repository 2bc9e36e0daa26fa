// Tests that Debian's own mlir-opt, with the plugin loaded, parses and
// verifies tp IR and runs a tp pass.
// RUN: mlir-opt %s --load-dialect-plugin=%tp_lib_dir/TPMLIRPlugin%shlibext --load-pass-plugin=%tp_lib_dir/TPMLIRPlugin%shlibext --pass-pipeline="builtin.module(tp-fuse-activations)" | FileCheck %s
// RUN: not mlir-opt %s 2>&1 | FileCheck %s --check-prefix=NOPLUGIN

// NOPLUGIN: attribute created with unregistered dialect

// CHECK: module attributes {tp.mesh = #tp.mesh<shape = [2]>}
// CHECK-LABEL: func @f
// CHECK: tp.linear %{{.*}}, %{{.*}} activation(relu) sharding(row)
// CHECK-NOT: tp.activation
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @f(%x: tensor<4x8xf32>, %w: tensor<6x8xf32>) -> tensor<4x6xf32> {
    %0 = tp.linear %x, %w sharding(row) : tensor<4x8xf32>, tensor<6x8xf32> -> tensor<4x6xf32>
    %1 = tp.activation relu %0 : tensor<4x6xf32>
    return %1 : tensor<4x6xf32>
  }
}
