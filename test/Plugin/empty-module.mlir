// Tests that a tp pass runs through the plugin, in Debian's mlir-opt, on a
// module with no tp op: the pass declares the dialect it creates.
// RUN: mlir-opt %s --load-dialect-plugin=%tp_lib_dir/TPMLIRPlugin%shlibext --load-pass-plugin=%tp_lib_dir/TPMLIRPlugin%shlibext --pass-pipeline="builtin.module(tp-set-mesh{devices=2})" | FileCheck %s
// CHECK: module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
module {
}
