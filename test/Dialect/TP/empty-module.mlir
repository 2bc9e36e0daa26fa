// Tests that every pass and pipeline runs on a module with no tp op at all
// (each declares the dialects it creates), in tp-opt; Plugin/empty-module.mlir
// does the same through the plugin.
// RUN: tp-opt %s --tp-set-mesh=devices=2 | FileCheck %s --check-prefix=MESH
// RUN: tp-opt %s --tp-partition-pipeline=devices=3 | FileCheck %s --check-prefix=PIPELINE
// RUN: tp-opt %s --tp-set-mesh=devices=2 --tp-set-strategy --tp-partition --tp-optimize-collectives --tp-fuse-activations | FileCheck %s --check-prefix=MESH
// RUN: tp-opt %s --convert-tp-to-linalg --convert-tp-to-runtime --tp-insert-profile-timers --tp-tile-matmuls --tp-matmul-to-blas --tp-lower-matmul-vectors | FileCheck %s --check-prefix=EMPTY
// RUN: tp-opt %s --tp-to-llvm-pipeline | FileCheck %s --check-prefix=EMPTY

// MESH: module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
// PIPELINE: module attributes {tp.mesh = #tp.mesh<shape = [3]>} {
// EMPTY: module {
module {
}
