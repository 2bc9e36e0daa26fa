// pack-weights-ahead: a public function's weight that only generated
// matmuls read becomes the panels they read, listed in tp.packed_weights;
// its caller packs it once. Anything else keeps its weight as it is.
// RUN: tp-opt %s --tp-tile-matmuls="vector-lanes=16 pack-weights-ahead" | FileCheck %s
// RUN: tp-opt %s --tp-tile-matmuls="vector-lanes=8 pack-weights-ahead" | FileCheck %s
// RUN: tp-opt %s --tp-tile-matmuls="vector-lanes=4 pack-weights-ahead" | FileCheck %s --check-prefix=R8
// RUN: tp-opt %s --tp-tile-matmuls="vector-lanes=16 min-features=1 pack-weights-ahead" | FileCheck %s --check-prefix=AUTO
// RUN: tp-opt %s --tp-tile-matmuls="vector-lanes=16" | FileCheck %s --check-prefix=OFF

// OFF-LABEL: func.func @spmd(
// OFF-SAME: %arg1: tensor<40x300xf32>
// OFF-NOT: tp.packed_weights

module attributes {tp.mesh = #tp.mesh<shape = [2]>} {

// A row split's weight of a partitioned function, 40 x 300 per rank: 40
// rows pad to 3 panels of 16 (the register tile's width with 16 lanes and
// with 8), or 5 of 8 (4 lanes, SSE); the manifest still describes the
// weight as it was.
// CHECK-LABEL: func.func @spmd(
// CHECK-SAME: %arg1: tensor<3x300x16x1xf32> {tp.name = "w", tp.shard = #tp.shard<shape = [80, 300], dim = 0, offsets = [0, 40], sizes = [40, 40]>}
// CHECK-SAME: tp.packed_weights = [{argument = 1 : i64, k_major = false, rows = 16 : i64, shape = array<i64: 40, 300>}]
// CHECK: call @[[NT:tp_matmul[_0-9]*]](%arg0, %arg1, %{{.*}}) : (tensor<37x300xf32>, tensor<3x300x16x1xf32>, tensor<37x40xf32>)
// R8-LABEL: func.func @spmd(
// R8-SAME: %arg1: tensor<5x300x8x1xf32>
// R8-SAME: rows = 8 : i64, shape = array<i64: 40, 300>
// AUTO-LABEL: func.func @spmd(
// AUTO-SAME: %arg1: tensor<3x300x16x1xf32>
func.func @spmd(%x: tensor<37x300xf32>,
                %w: tensor<40x300xf32> {tp.name = "w", tp.shard = #tp.shard<shape = [80, 300], dim = 0, offsets = [0, 40], sizes = [40, 40]>})
    -> tensor<37x40xf32> attributes {tp.spmd} {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<37x40xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<37x40xf32>) -> tensor<37x40xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
         ins(%x, %w : tensor<37x300xf32>, tensor<40x300xf32>) outs(%init : tensor<37x40xf32>) -> tensor<37x40xf32>
  return %y : tensor<37x40xf32>
}

// One weight read by two matmuls: packed once, both calls take it packed.
// A plain matmul's B (K x N) packs with k_major.
// CHECK-LABEL: func.func @shared(
// CHECK-SAME: %arg1: tensor<3x300x16x1xf32>, %arg2: tensor<1x40x16x1xf32>
// CHECK-SAME: tp.packed_weights = [{argument = 1 : i64, k_major = false, rows = 16 : i64, shape = array<i64: 40, 300>}, {argument = 2 : i64, k_major = true, rows = 16 : i64, shape = array<i64: 40, 9>}]
// CHECK: call @[[NT]](%arg0, %arg1,
// CHECK: call @[[NT]](%{{.*}}, %arg1,
// CHECK: call @[[NN:tp_matmul[_0-9]*]](%{{.*}}, %arg2,
func.func @shared(%x: tensor<37x300xf32>, %w: tensor<40x300xf32>, %b: tensor<40x9xf32>) -> tensor<37x9xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<37x40xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<37x40xf32>) -> tensor<37x40xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
         ins(%x, %w : tensor<37x300xf32>, tensor<40x300xf32>) outs(%init : tensor<37x40xf32>) -> tensor<37x40xf32>
  %x2 = arith.addf %x, %x : tensor<37x300xf32>
  %y2 = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
         ins(%x2, %w : tensor<37x300xf32>, tensor<40x300xf32>) outs(%init : tensor<37x40xf32>) -> tensor<37x40xf32>
  %s = arith.addf %y, %y2 : tensor<37x40xf32>
  %e9 = tensor.empty() : tensor<37x9xf32>
  %init9 = linalg.fill ins(%zero : f32) outs(%e9 : tensor<37x9xf32>) -> tensor<37x9xf32>
  %z = linalg.matmul ins(%s, %b : tensor<37x40xf32>, tensor<40x9xf32>) outs(%init9 : tensor<37x9xf32>) -> tensor<37x9xf32>
  return %z : tensor<37x9xf32>
}

// Kept as they are: a weight also read by something else, a value that is
// both operands, and a private function's weight (its callers pass it).
// CHECK-LABEL: func.func @other_use(
// CHECK-SAME: %arg1: tensor<40x300xf32>)
// CHECK-NOT: tp.packed_weights
// CHECK-LABEL: func.func @both_operands(
// CHECK-SAME: %arg0: tensor<40x40xf32>)
// CHECK-NOT: tp.packed_weights
// CHECK-LABEL: func.func private @helper(
// CHECK-SAME: %arg1: tensor<40x300xf32>)
// CHECK-NOT: tp.packed_weights
func.func @other_use(%x: tensor<37x300xf32>, %w: tensor<40x300xf32>) -> (tensor<37x40xf32>, tensor<40x300xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<37x40xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<37x40xf32>) -> tensor<37x40xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
         ins(%x, %w : tensor<37x300xf32>, tensor<40x300xf32>) outs(%init : tensor<37x40xf32>) -> tensor<37x40xf32>
  return %y, %w : tensor<37x40xf32>, tensor<40x300xf32>
}

func.func @both_operands(%a: tensor<40x40xf32>) -> tensor<40x40xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<40x40xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<40x40xf32>) -> tensor<40x40xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
         ins(%a, %a : tensor<40x40xf32>, tensor<40x40xf32>) outs(%init : tensor<40x40xf32>) -> tensor<40x40xf32>
  return %y : tensor<40x40xf32>
}

func.func private @helper(%x: tensor<37x300xf32>, %w: tensor<40x300xf32>) -> tensor<37x40xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<37x40xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<37x40xf32>) -> tensor<37x40xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
         ins(%x, %w : tensor<37x300xf32>, tensor<40x300xf32>) outs(%init : tensor<37x40xf32>) -> tensor<37x40xf32>
  return %y : tensor<37x40xf32>
}

// A dynamic batch: packed with codegen; with min-features (auto) its kernel
// leaves a single row to BLAS, which reads W as it is, so W stays.
// CHECK-LABEL: func.func @dynamic(
// CHECK-SAME: %arg1: tensor<3x300x16x1xf32>
// AUTO-LABEL: func.func @dynamic(
// AUTO-SAME: %arg1: tensor<40x300xf32>)
// AUTO-NOT: tp.packed_weights
func.func @dynamic(%x: tensor<?x300xf32>, %w: tensor<40x300xf32>) -> tensor<?x40xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %m = tensor.dim %x, %c0 : tensor<?x300xf32>
  %e = tensor.empty(%m) : tensor<?x40xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<?x40xf32>) -> tensor<?x40xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
         ins(%x, %w : tensor<?x300xf32>, tensor<40x300xf32>) outs(%init : tensor<?x40xf32>) -> tensor<?x40xf32>
  return %y : tensor<?x40xf32>
}

// Uneven shards: a dynamic K (a column split's) is packed, and the kernel
// takes K from the packed W and N from its result; a dynamic N (a row
// split's) that the function reads to size its result cannot be read from
// the panels, so that weight stays.
// CHECK-LABEL: func.func @uneven_k(
// AUTO-LABEL: func.func @uneven_k(
// CHECK-SAME: %arg1: tensor<3x?x16x1xf32>
// CHECK-SAME: tp.packed_weights = [{argument = 1 : i64, k_major = false, rows = 16 : i64, shape = array<i64: 40, -9223372036854775808>}]
// CHECK: call @[[UK:tp_matmul[_0-9]*]](%arg0, %arg1,
// CHECK-LABEL: func.func @uneven_n(
// CHECK-SAME: %arg1: tensor<?x300xf32>)
// CHECK-NOT: tp.packed_weights
func.func @uneven_k(%x: tensor<37x?xf32>, %w: tensor<40x?xf32>) -> tensor<37x40xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<37x40xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<37x40xf32>) -> tensor<37x40xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
         ins(%x, %w : tensor<37x?xf32>, tensor<40x?xf32>) outs(%init : tensor<37x40xf32>) -> tensor<37x40xf32>
  return %y : tensor<37x40xf32>
}

func.func @uneven_n(%x: tensor<37x300xf32>, %w: tensor<?x300xf32>) -> tensor<37x?xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %w, %c0 : tensor<?x300xf32>
  %e = tensor.empty(%n) : tensor<37x?xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<37x?xf32>) -> tensor<37x?xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
         ins(%x, %w : tensor<37x300xf32>, tensor<?x300xf32>) outs(%init : tensor<37x?xf32>) -> tensor<37x?xf32>
  return %y : tensor<37x?xf32>
}

// A public function that another calls keeps its signature: its caller
// passes W as it is.
// CHECK-LABEL: func.func @inner(
// CHECK-SAME: %arg1: tensor<40x300xf32>)
// CHECK-NOT: tp.packed_weights
// CHECK-LABEL: func.func @outer(
func.func @inner(%x: tensor<37x300xf32>, %w: tensor<40x300xf32>) -> tensor<37x40xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<37x40xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<37x40xf32>) -> tensor<37x40xf32>
  %y = linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>]
         ins(%x, %w : tensor<37x300xf32>, tensor<40x300xf32>) outs(%init : tensor<37x40xf32>) -> tensor<37x40xf32>
  return %y : tensor<37x40xf32>
}

func.func @outer(%x: tensor<37x300xf32>, %w: tensor<40x300xf32>) -> tensor<37x40xf32> {
  %y = call @inner(%x, %w) : (tensor<37x300xf32>, tensor<40x300xf32>) -> tensor<37x40xf32>
  return %y : tensor<37x40xf32>
}

// The kernels: the variant that takes W packed packs only x (one R x R
// transpose per tile); the kernel of W as it is, which packs both, stays
// for the callers that pass W so.
// CHECK: func.func private @[[NT]](%arg0: tensor<37x300xf32> {{.*}}, %arg1: tensor<3x300x16x1xf32> {bufferization.buffer_layout = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>}
// CHECK: vector.transpose
// CHECK-NOT: vector.transpose
// CHECK: vector.contract
// CHECK: func.func private @tp_matmul(%arg0: tensor<37x300xf32> {{.*}}, %arg1: tensor<40x300xf32>
// CHECK-COUNT-2: vector.transpose
// CHECK: func.func private @[[UK]](%arg0: tensor<37x?xf32> {{.*}}, %arg1: tensor<3x?x16x1xf32> {{.*}}, %arg2: tensor<37x40xf32>
// CHECK: tensor.extract_slice %arg1[0, %{{.*}}, 0, 0] [3, %{{.*}}, 16, 1] [1, 1, 1, 1] : tensor<3x?x16x1xf32> to tensor<3x?x16x1xf32>
}
