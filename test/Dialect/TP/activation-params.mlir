// RUN: tp-opt %s -split-input-file | FileCheck %s
// Round trip through the generic form too: the parameters are the
// properties activation_params and params.
// RUN: tp-opt %s -split-input-file -mlir-print-op-generic | tp-opt -split-input-file | FileCheck %s
// RUN: tp-opt %s -split-input-file -mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC
// And the custom form through itself.
// RUN: tp-opt %s -split-input-file | tp-opt -split-input-file | FileCheck %s

// Tests that the kinds with parameters round-trip with them, on every op
// that carries an activation, and without them (PyTorch's defaults, not
// written out).
// CHECK-LABEL: func @parameters
// CHECK: tp.linear %{{.*}}, %{{.*}}, %{{.*}} activation(leaky_relu(2.000000e-01)) sharding(row)
// CHECK: tp.linear %{{.*}}, %{{.*}} activation(hardtanh(0.000000e+00, 6.000000e+00))
// CHECK: tp.linear %{{.*}}, %{{.*}} activation(elu) :
// CHECK: tp.activation softplus(2.000000e+00, 5.000000e+00) %{{.*}} :
// CHECK: tp.activation mish %{{.*}} :
// CHECK: tp.activation hardtanh(-2.500000e+00, 1.000000e+30) %{{.*}} :
// CHECK: tp.activation hardtanh(-1.000000e+00, 0x4B3C614E) %{{.*}} :
// GENERIC: "tp.linear"(%{{.*}}, %{{.*}}, %{{.*}}) <{activation = #tp.activation<leaky_relu>, activation_params = array<f32: 2.000000e-01>, sharding = #tp.sharding<row>}>
// GENERIC: "tp.activation"(%{{.*}}) <{kind = #tp.activation<softplus>, params = array<f32: 2.000000e+00, 5.000000e+00>}>
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @parameters(%x: tensor<?x8xf32>, %w: tensor<8x8xf32>,
                        %b: tensor<8xf32>) -> tensor<?x8xf32> {
    %0 = tp.linear %x, %w, %b activation(leaky_relu(0.2)) sharding(row)
        : tensor<?x8xf32>, tensor<8x8xf32>, tensor<8xf32> -> tensor<?x8xf32>
    %1 = tp.linear %0, %w activation(hardtanh(0., 6.0))
        : tensor<?x8xf32>, tensor<8x8xf32> -> tensor<?x8xf32>
    %2 = tp.linear %1, %w activation(elu)
        : tensor<?x8xf32>, tensor<8x8xf32> -> tensor<?x8xf32>
    %3 = tp.activation softplus(2.0, 5.0) %2 : tensor<?x8xf32>
    %4 = tp.activation mish %3 : tensor<?x8xf32>
    %5 = tp.activation hardtanh(-2.5, 1.0e30) %4 : tensor<?x8xf32>
    // A value whose short decimal form is not the same f32 prints as its
    // bits, and reads back as them.
    %6 = tp.activation hardtanh(-1.0, 12345678.0) %5 : tensor<?x8xf32>
    return %6 : tensor<?x8xf32>
  }
}

// -----

// Tests that the local ops of a partitioned function round-trip theirs.
// CHECK-LABEL: func @local
// CHECK: tp.local_linear %{{.*}}, %{{.*}}, %{{.*}} activation(selu)
// CHECK: tp.bias_activation %{{.*}}, %{{.*}} activation(leaky_relu(-1.000000e+00))
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @local(%x: tensor<?x8xf32>, %w: tensor<4x8xf32>,
                   %b: tensor<4xf32>) -> tensor<?x4xf32> attributes {tp.spmd} {
    %0 = tp.local_linear %x, %w, %b activation(selu)
        : tensor<?x8xf32>, tensor<4x8xf32>, tensor<4xf32> -> tensor<?x4xf32>
    %1 = tp.bias_activation %0, %b activation(leaky_relu(-1.0))
        : tensor<?x4xf32>, tensor<4xf32>
    return %1 : tensor<?x4xf32>
  }
}
