// RUN: tp-opt %s -split-input-file --convert-tp-to-linalg | FileCheck %s

// Tests a local layer with a bias and silu: a zero fill, a transposed-B
// matmul, and one epilogue that adds the bias and applies x * sigmoid(x);
// dynamic sizes come from the operands.
// CHECK-DAG: #[[A:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[B:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[C:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func @local
// CHECK-SAME: (%[[X:.*]]: tensor<?x10xf32>, %[[W:.*]]: tensor<?x10xf32>, %[[BIAS:.*]]: tensor<?xf32>)
// CHECK: %[[M:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x10xf32>
// CHECK: %[[N:.*]] = tensor.dim %[[W]], %{{.*}} : tensor<?x10xf32>
// CHECK: %[[E:.*]] = tensor.empty(%[[M]], %[[N]]) : tensor<?x?xf32>
// CHECK: %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E]] : tensor<?x?xf32>)
// CHECK: %[[P:.*]] = linalg.matmul indexing_maps = [#[[A]], #[[B]], #[[C]]] ins(%[[X]], %[[W]] : tensor<?x10xf32>, tensor<?x10xf32>) outs(%[[Z]] : tensor<?x?xf32>)
// CHECK: %[[Y:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[P]], %[[BIAS]] : tensor<?x?xf32>, tensor<?xf32>) outs(%[[P]] : tensor<?x?xf32>)
// CHECK: %[[S:.*]] = arith.addf
// CHECK: arith.negf %[[S]]
// CHECK: math.exp
// CHECK: arith.divf
// CHECK: arith.mulf %[[S]]
// CHECK: return %[[Y]]
module attributes {tp.mesh = #tp.mesh<shape = [3]>} {
  func.func @local(%x: tensor<?x10xf32>, %w: tensor<?x10xf32>, %b: tensor<?xf32>) -> tensor<?x?xf32> attributes {tp.spmd} {
    %0 = tp.local_linear %x, %w, %b activation(silu) : tensor<?x10xf32>, tensor<?x10xf32>, tensor<?xf32> -> tensor<?x?xf32>
    return %0 : tensor<?x?xf32>
  }
}

// -----

// Tests that a layer without bias or activation needs no epilogue, and that
// the model-level op lowers the same way.
// CHECK-LABEL: func @plain
// CHECK: linalg.matmul
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @plain(%x: tensor<4x3xf32>, %w: tensor<5x3xf32>) -> tensor<4x5xf32> {
  %0 = tp.linear %x, %w : tensor<4x3xf32>, tensor<5x3xf32> -> tensor<4x5xf32>
  return %0 : tensor<4x5xf32>
}

// -----

// Tests each activation body.
// CHECK-LABEL: func @activations
// CHECK: linalg.generic
// CHECK: arith.maximumf
// CHECK: linalg.generic
// CHECK: math.erf
// CHECK: linalg.generic
// CHECK: math.tanh
// CHECK: linalg.generic
// CHECK: math.tanh
// CHECK: linalg.generic
// CHECK: math.exp
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @activations(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = tp.activation relu %x : tensor<2x3xf32>
  %1 = tp.activation gelu %0 : tensor<2x3xf32>
  %2 = tp.activation gelu_tanh %1 : tensor<2x3xf32>
  %3 = tp.activation tanh %2 : tensor<2x3xf32>
  %4 = tp.activation sigmoid %3 : tensor<2x3xf32>
  %5 = tp.activation identity %4 : tensor<2x3xf32>
  return %5 : tensor<2x3xf32>
}

// -----

// Tests the bias and activation a column layer applies after its reduction.
// CHECK-LABEL: func @bias_activation
// CHECK: %[[Y:.*]] = linalg.generic {{.*}} ins(%arg0, %arg1 : tensor<4x6xf32>, tensor<6xf32>) outs(%arg0 : tensor<4x6xf32>)
// CHECK: arith.addf
// CHECK: math.tanh
// CHECK: return %[[Y]]
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @bias_activation(%y: tensor<4x6xf32>, %b: tensor<6xf32>) -> tensor<4x6xf32> attributes {tp.spmd} {
    %0 = tp.bias_activation %y, %b activation(gelu_tanh) : tensor<4x6xf32>, tensor<6xf32>
    return %0 : tensor<4x6xf32>
  }
}

// -----

// Tests softmax over the features of each row, with a dynamic batch: 256
// rows of 8 a step (about 2,048 elements; the last step the rows left),
// into a fresh result (the input is never written): each row's maximum
// (from -inf); exp(x - max) into the result's rows; their sum in f64
// (from 0, reassociable so that LLVM vectorizes it), rounded to f32; then
// each exp divided by it, in place. The rows' scalars are allocated once,
// outside the loop.
// CHECK-LABEL: func.func @softmax
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>)
// CHECK-DAG: %[[MAXBUF:.*]] = tensor.empty() : tensor<256xf32>
// CHECK-DAG: %[[SUMBUF:.*]] = tensor.empty() : tensor<256xf64>
// CHECK-DAG: %[[STEP:.*]] = arith.constant 256 : index
// CHECK-DAG: %[[B:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x8xf32>
// CHECK: %[[RESULT:.*]] = tensor.empty(%[[B]]) : tensor<?x8xf32>
// CHECK: %[[LOOP:.*]] = scf.for %[[I:.*]] = %{{.*}} to %[[B]] step %[[STEP]] iter_args(%[[ACC:.*]] = %[[RESULT]]) -> (tensor<?x8xf32>)
// CHECK: %[[LEFT:.*]] = arith.subi %[[B]], %[[I]]
// CHECK: %[[N:.*]] = arith.minsi %[[LEFT]], %[[STEP]]
// CHECK: %[[ROWS:.*]] = tensor.extract_slice %[[X]][%[[I]], 0] [%[[N]], 8] [1, 1] : tensor<?x8xf32> to tensor<?x8xf32>
// CHECK: %[[OUT:.*]] = tensor.extract_slice %[[ACC]][%[[I]], 0] [%[[N]], 8] [1, 1] : tensor<?x8xf32> to tensor<?x8xf32>
// CHECK: %[[MAXS:.*]] = tensor.extract_slice %[[MAXBUF]][0] [%[[N]]] [1] : tensor<256xf32> to tensor<?xf32>
// CHECK: %[[SUMS:.*]] = tensor.extract_slice %[[SUMBUF]][0] [%[[N]]] [1] : tensor<256xf64> to tensor<?xf64>
// CHECK: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[MAXINIT:.*]] = linalg.fill ins(%[[NEGINF]] : f32) outs(%[[MAXS]] : tensor<?xf32>)
// CHECK: %[[MAX:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%[[ROWS]] : tensor<?x8xf32>) outs(%[[MAXINIT]] : tensor<?xf32>)
// CHECK: arith.maximumf
// CHECK: %[[EXPS:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]} ins(%[[ROWS]], %[[MAX]] : tensor<?x8xf32>, tensor<?xf32>) outs(%[[OUT]] : tensor<?x8xf32>)
// CHECK: ^bb0(%[[XV:.*]]: f32, %[[MV:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[SHIFT:.*]] = arith.subf %[[XV]], %[[MV]]
// CHECK: %[[E:.*]] = math.exp %[[SHIFT]] : f32
// CHECK: linalg.yield %[[E]]
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f64
// CHECK: %[[SUMINIT:.*]] = linalg.fill ins(%[[ZERO]] : f64) outs(%[[SUMS]] : tensor<?xf64>)
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%[[EXPS]] : tensor<?x8xf32>) outs(%[[SUMINIT]] : tensor<?xf64>)
// CHECK: ^bb0(%[[EV0:.*]]: f32, %[[SACC:.*]]: f64):
// CHECK: %[[WIDE:.*]] = arith.extf %[[EV0]] : f32 to f64
// CHECK: %[[SACC2:.*]] = arith.addf %[[SACC]], %[[WIDE]] fastmath<reassoc> : f64
// CHECK: linalg.yield %[[SACC2]] : f64
// CHECK-NOT: math.exp
// CHECK: %[[S32:.*]] = linalg.generic {{.*}}iterator_types = ["parallel"]} ins(%[[SUM]] : tensor<?xf64>) outs(%{{.*}} : tensor<?xf32>)
// CHECK: arith.truncf %{{.*}} : f64 to f32
// CHECK: %[[Q:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]} ins(%[[S32]] : tensor<?xf32>) outs(%[[EXPS]] : tensor<?x8xf32>)
// CHECK: ^bb0(%[[SV:.*]]: f32, %[[EV:.*]]: f32):
// CHECK: %[[QV:.*]] = arith.divf %[[EV]], %[[SV]]
// CHECK: linalg.yield %[[QV]]
// CHECK: %[[NEXT:.*]] = tensor.insert_slice %[[Q]] into %[[ACC]][%[[I]], 0] [%[[N]], 8] [1, 1]
// CHECK: scf.yield %[[NEXT]]
// CHECK: return %[[LOOP]]
// CHECK-NOT: tp.softmax
func.func @softmax(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = tp.softmax %x : tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// Tests log-softmax: all 3 rows in one step, into a fresh result; exp(x -
// max) goes to a scratch block (allocated once), the log of each row's
// sum, rounded to f32, is taken once a row, and each element is
// (x - max) - log(sum).
// CHECK-LABEL: func.func @log_softmax
// CHECK-SAME: (%[[X:.*]]: tensor<3x5xf32>)
// CHECK-DAG: %[[SCRATCH:.*]] = tensor.empty() : tensor<409x5xf32>
// CHECK: %[[RESULT:.*]] = tensor.empty() : tensor<3x5xf32>
// CHECK: scf.for %[[I:.*]] = %{{.*}} iter_args(%[[ACC:.*]] = %[[RESULT]]) -> (tensor<3x5xf32>)
// CHECK: %[[N:.*]] = arith.minsi
// CHECK: %[[ROWS:.*]] = tensor.extract_slice %[[X]][%[[I]], 0] [%[[N]], 5] [1, 1]
// CHECK: %[[OUT:.*]] = tensor.extract_slice %[[ACC]][%[[I]], 0] [%[[N]], 5] [1, 1]
// CHECK: %[[EXPBUF:.*]] = tensor.extract_slice %[[SCRATCH]][0, 0] [%[[N]], 5] [1, 1] : tensor<409x5xf32> to tensor<?x5xf32>
// CHECK: %[[MAX:.*]] = linalg.generic {{.*}}["parallel", "reduction"]} ins(%[[ROWS]] : tensor<?x5xf32>)
// CHECK: %[[EXPS:.*]] = linalg.generic {{.*}}["parallel", "parallel"]} ins(%[[ROWS]], %[[MAX]] : tensor<?x5xf32>, tensor<?xf32>) outs(%[[EXPBUF]] : tensor<?x5xf32>)
// CHECK: math.exp
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}}["parallel", "reduction"]} ins(%[[EXPS]] : tensor<?x5xf32>)
// CHECK-SAME: outs(%{{.*}} : tensor<?xf64>)
// CHECK: arith.addf %{{.*}}, %{{.*}} fastmath<reassoc> : f64
// CHECK: %[[LOG:.*]] = linalg.generic {{.*}}iterator_types = ["parallel"]} ins(%[[SUM]] : tensor<?xf64>) outs(%{{.*}} : tensor<?xf32>)
// CHECK: %[[T:.*]] = arith.truncf %{{.*}} : f64 to f32
// CHECK: math.log %[[T]] : f32
// CHECK: linalg.generic {{.*}}ins(%[[ROWS]], %[[MAX]], %[[LOG]] : tensor<?x5xf32>, tensor<?xf32>, tensor<?xf32>) outs(%[[OUT]] : tensor<?x5xf32>)
// CHECK: ^bb0(%[[XV:.*]]: f32, %[[MV:.*]]: f32, %[[LV:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[D:.*]] = arith.subf %[[XV]], %[[MV]]
// CHECK: %[[R:.*]] = arith.subf %[[D]], %[[LV]]
// CHECK: linalg.yield %[[R]]
// CHECK-NOT: math.exp
func.func @log_softmax(%x: tensor<3x5xf32>) -> tensor<3x5xf32> {
  %0 = tp.log_softmax %x : tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}
