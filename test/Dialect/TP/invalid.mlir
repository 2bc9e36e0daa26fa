// RUN: tp-opt %s -split-input-file -verify-diagnostics

// Tests that the input must be a matrix.
func.func @input_rank(%x: tensor<2x3x4xf32>, %w: tensor<5x4xf32>) {
  // expected-error@+1 {{'tp.linear' op expected input to be a rank-2 tensor (batch x in_features), found rank 3 ('tensor<2x3x4xf32>')}}
  %0 = tp.linear %x, %w : tensor<2x3x4xf32>, tensor<5x4xf32> -> tensor<2x5xf32>
  return
}

// -----

// Tests that the weight must be a matrix.
func.func @weight_rank(%x: tensor<2x4xf32>, %w: tensor<4xf32>) {
  // expected-error@+1 {{expected weight to be a rank-2 tensor (out_features x in_features), found rank 1 ('tensor<4xf32>')}}
  %0 = tp.linear %x, %w : tensor<2x4xf32>, tensor<4xf32> -> tensor<2x4xf32>
  return
}

// -----

// Tests that the bias must be a vector.
func.func @bias_rank(%x: tensor<2x4xf32>, %w: tensor<5x4xf32>, %b: tensor<1x5xf32>) {
  // expected-error@+1 {{expected bias to be a rank-1 tensor (out_features), found rank 2 ('tensor<1x5xf32>')}}
  %0 = tp.linear %x, %w, %b : tensor<2x4xf32>, tensor<5x4xf32>, tensor<1x5xf32> -> tensor<2x5xf32>
  return
}

// -----

// Tests that the result must be a matrix.
func.func @result_rank(%x: tensor<2x4xf32>, %w: tensor<5x4xf32>) {
  // expected-error@+1 {{expected result to be a rank-2 tensor (batch x out_features), found rank 1 ('tensor<10xf32>')}}
  %0 = tp.linear %x, %w : tensor<2x4xf32>, tensor<5x4xf32> -> tensor<10xf32>
  return
}

// -----

// Tests that in_features must agree between input and weight.
func.func @k_mismatch(%x: tensor<2x4xf32>, %w: tensor<5x3xf32>) {
  // expected-error@+1 {{expected input in_features (dim 1) to match weight in_features (3), found 4}}
  %0 = tp.linear %x, %w : tensor<2x4xf32>, tensor<5x3xf32> -> tensor<2x5xf32>
  return
}

// -----

// Tests that the bias length must equal out_features.
func.func @bias_length(%x: tensor<2x4xf32>, %w: tensor<5x4xf32>, %b: tensor<6xf32>) {
  // expected-error@+1 {{expected bias of length 5 (weight out_features), found 6}}
  %0 = tp.linear %x, %w, %b : tensor<2x4xf32>, tensor<5x4xf32>, tensor<6xf32> -> tensor<2x5xf32>
  return
}

// -----

// Tests that the result shape is batch x out_features.
func.func @result_features(%x: tensor<2x4xf32>, %w: tensor<5x4xf32>) {
  // expected-error@+1 {{expected result type 'tensor<2x5xf32>' (batch of input x weight out_features), found 'tensor<2x6xf32>'}}
  %0 = tp.linear %x, %w : tensor<2x4xf32>, tensor<5x4xf32> -> tensor<2x6xf32>
  return
}

// -----

// Tests that a dynamic batch stays dynamic in the result.
func.func @result_batch(%x: tensor<?x4xf32>, %w: tensor<5x4xf32>) {
  // expected-error@+1 {{expected result type 'tensor<?x5xf32>' (batch of input x weight out_features), found 'tensor<3x5xf32>'}}
  %0 = tp.linear %x, %w : tensor<?x4xf32>, tensor<5x4xf32> -> tensor<3x5xf32>
  return
}

// -----

// Tests that f16 is rejected with a message that says why.
func.func @f16_input(%x: tensor<2x4xf16>, %w: tensor<5x4xf32>) {
  // expected-error@+1 {{expected f32 elements in input, found 'f16' (tp computes in f32; no other element type is supported)}}
  %0 = tp.linear %x, %w : tensor<2x4xf16>, tensor<5x4xf32> -> tensor<2x5xf32>
  return
}

// -----

// Tests that bf16 weights are rejected.
func.func @bf16_weight(%x: tensor<2x4xf32>, %w: tensor<5x4xbf16>) {
  // expected-error@+1 {{expected f32 elements in weight, found 'bf16'}}
  %0 = tp.linear %x, %w : tensor<2x4xf32>, tensor<5x4xbf16> -> tensor<2x5xf32>
  return
}

// -----

// Tests that integer tensors are rejected.
func.func @integer_bias(%x: tensor<2x4xf32>, %w: tensor<5x4xf32>, %b: tensor<5xi32>) {
  // expected-error@+1 {{expected f32 elements in bias, found 'i32'}}
  %0 = tp.linear %x, %w, %b : tensor<2x4xf32>, tensor<5x4xf32>, tensor<5xi32> -> tensor<2x5xf32>
  return
}

// -----

// Tests that a zero-sized batch is rejected.
func.func @zero_batch(%x: tensor<0x4xf32>, %w: tensor<5x4xf32>) {
  // expected-error@+1 {{expected non-zero dimensions in input, found size 0 in dim 0 of 'tensor<0x4xf32>'}}
  %0 = tp.linear %x, %w : tensor<0x4xf32>, tensor<5x4xf32> -> tensor<0x5xf32>
  return
}

// -----

// Tests that a weight with no output features is rejected.
func.func @zero_out_features(%x: tensor<2x4xf32>, %w: tensor<0x4xf32>) {
  // expected-error@+1 {{expected non-zero dimensions in weight, found size 0 in dim 0 of 'tensor<0x4xf32>'}}
  %0 = tp.linear %x, %w : tensor<2x4xf32>, tensor<0x4xf32> -> tensor<2x0xf32>
  return
}

// -----

// Tests the dynamic-dimension policy: in_features must be static.
func.func @dynamic_k(%x: tensor<2x?xf32>, %w: tensor<5x4xf32>) {
  // expected-error@+1 {{expected a static in_features dimension in input, found 'tensor<2x?xf32>' (only the batch dimension may be dynamic)}}
  %0 = tp.linear %x, %w : tensor<2x?xf32>, tensor<5x4xf32> -> tensor<2x5xf32>
  return
}

// -----

// Tests the dynamic-dimension policy: weights are static.
func.func @dynamic_weight(%x: tensor<2x4xf32>, %w: tensor<?x4xf32>) {
  // expected-error@+1 {{expected a static out_features dimension in weight, found 'tensor<?x4xf32>'}}
  %0 = tp.linear %x, %w : tensor<2x4xf32>, tensor<?x4xf32> -> tensor<2x?xf32>
  return
}

// -----

// Tests that an unranked operand is rejected by the type constraint.
func.func @unranked(%x: tensor<*xf32>, %w: tensor<5x4xf32>) {
  // expected-error@+1 {{operand #0 must be ranked tensor of any type values, but got 'tensor<*xf32>'}}
  %0 = "tp.linear"(%x, %w) : (tensor<*xf32>, tensor<5x4xf32>) -> tensor<2x5xf32>
  return
}

// -----

// Tests that an unknown activation is a parse error listing the valid ones.
func.func @unknown_activation(%x: tensor<2x4xf32>) {
  // expected-error@+1 {{unknown activation 'softmax'; expected one of: identity, relu, gelu, gelu_tanh, sigmoid, tanh, silu, leaky_relu, elu, selu, softplus, mish, hardtanh, hardsigmoid, hardswish (softmax is an op of its own: tp.softmax)}}
  %0 = tp.activation softmax %x : tensor<2x4xf32>
  return
}

// -----

// Tests that an unknown fused activation is rejected too.
func.func @unknown_fused_activation(%x: tensor<2x4xf32>, %w: tensor<5x4xf32>) {
  // expected-error@+1 {{unknown activation 'swish'}}
  %0 = tp.linear %x, %w activation(swish) : tensor<2x4xf32>, tensor<5x4xf32> -> tensor<2x5xf32>
  return
}

// -----

// Tests that an unknown sharding name is rejected.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @unknown_sharding(%x: tensor<2x4xf32>, %w: tensor<5x4xf32>) {
    // expected-error@+1 {{unknown sharding 'diagonal'; expected one of: replicated, row, column}}
    %0 = tp.linear %x, %w sharding(diagonal) : tensor<2x4xf32>, tensor<5x4xf32> -> tensor<2x5xf32>
    return
  }
}

// -----

// Tests that the activation's operand and result types agree.
func.func @activation_type_mismatch(%x: tensor<2x4xf32>) {
  // expected-error@+1 {{requires the same type for all operands and results}}
  %0 = "tp.activation"(%x) <{kind = #tp.activation<relu>}> : (tensor<2x4xf32>) -> tensor<2x5xf32>
  return
}

// -----

// Tests that the activation follows the element-type policy.
func.func @activation_f16(%x: tensor<2x4xf16>) {
  // expected-error@+1 {{'tp.activation' op expected f32 elements in input, found 'f16'}}
  %0 = tp.activation relu %x : tensor<2x4xf16>
  return
}

// -----

// Tests that the activation follows the zero-size policy.
func.func @activation_zero(%x: tensor<2x0xf32>) {
  // expected-error@+1 {{'tp.activation' op expected non-zero dimensions in input, found size 0 in dim 1 of 'tensor<2x0xf32>'}}
  %0 = tp.activation relu %x : tensor<2x0xf32>
  return
}

// -----

// Tests that a mesh needs at least one device.
// expected-error@+1 {{expected a positive device count on mesh axis 0, found 0}}
module attributes {tp.mesh = #tp.mesh<shape = [0]>} {}

// -----

// Tests that a negative device count is rejected.
// expected-error@+1 {{expected a positive device count on mesh axis 0, found -2}}
module attributes {tp.mesh = #tp.mesh<shape = [-2]>} {}

// -----

// Tests that 2-D meshes are rejected until they are supported.
// expected-error@+1 {{expected a 1-D mesh, found 2 axes (2-D meshes are not supported yet)}}
module attributes {tp.mesh = #tp.mesh<shape = [2, 4]>} {}

// -----

// Tests that a mesh has an axis.
// expected-error@+2 {{expected integer value}}
// expected-error@+1 {{failed to parse TP_MeshAttr parameter 'shape'}}
module attributes {tp.mesh = #tp.mesh<shape = []>} {}

// -----

// Tests that tp.mesh must hold a mesh attribute.
// expected-error@+1 {{expected 'tp.mesh' to be a #tp.mesh attribute, found 4 : i64}}
module attributes {tp.mesh = 4} {}

// -----

// Tests that tp.mesh belongs on a module.
// expected-error@+1 {{'tp.mesh' may only be attached to a builtin.module, found on 'func.func'}}
func.func @mesh_on_func() attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  return
}

// -----

// Tests that unknown tp attributes are rejected.
// expected-error@+1 {{unknown tp attribute 'tp.meshes' on 'builtin.module'}}
module attributes {tp.meshes = #tp.mesh<shape = [2]>} {}

// -----

// Tests that tp.left_to_blas marks only a linalg.matmul, as a unit.
func.func @left_to_blas_on_fill(%y: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %zero = arith.constant 0.0 : f32
  // expected-error@+1 {{expected 'tp.left_to_blas' to be a unit attribute on a linalg.matmul}}
  %0 = linalg.fill {tp.left_to_blas} ins(%zero : f32) outs(%y : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @left_to_blas_not_unit(%x: tensor<2x4xf32>, %w: tensor<4x3xf32>, %y: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error@+1 {{expected 'tp.left_to_blas' to be a unit attribute on a linalg.matmul}}
  %0 = linalg.matmul {tp.left_to_blas = 1 : i64} ins(%x, %w : tensor<2x4xf32>, tensor<4x3xf32>) outs(%y : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Tests that tp.matmul_codegen marks only the generated matmul's packs,
// mmt4d and unpacks, as a unit.
func.func @matmul_codegen_on_matmul(%x: tensor<2x4xf32>, %w: tensor<4x3xf32>, %y: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error@+1 {{expected 'tp.matmul_codegen' to be a unit attribute on a linalg.pack, linalg.mmt4d, linalg.unpack or linalg.fill}}
  %0 = linalg.matmul {tp.matmul_codegen} ins(%x, %w : tensor<2x4xf32>, tensor<4x3xf32>) outs(%y : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @matmul_codegen_not_unit(%src: tensor<4x8x16xf32>, %dst: tensor<64x8xf32>) -> tensor<64x8xf32> {
  // expected-error@+1 {{expected 'tp.matmul_codegen' to be a unit attribute on a linalg.pack, linalg.mmt4d, linalg.unpack or linalg.fill}}
  %0 = linalg.unpack %src inner_dims_pos = [0] inner_tiles = [16] into %dst {tp.matmul_codegen = "yes"} : tensor<4x8x16xf32> -> tensor<64x8xf32>
  return %0 : tensor<64x8xf32>
}

// -----

// Tests that checkpoint names are valid UTF-8.
// expected-error@+1 {{expected 'tp.name' of argument #1 to be valid UTF-8, as the names in a safetensors file are}}
func.func @name_not_utf8(%x: tensor<2x4xf32>, %w: tensor<5x4xf32> {tp.name = "bad\FFutf"}) {
  return
}

// -----

// Tests that no checkpoint name is safetensors' metadata key.
// expected-error@+1 {{'tp.name' of argument #1 is "__metadata__", the key a safetensors file keeps for its metadata; choose another name}}
func.func @name_metadata(%x: tensor<2x4xf32>, %w: tensor<5x4xf32> {tp.name = "__metadata__"}) {
  return
}

// -----

// Tests that checkpoint names are strings.
// expected-error@+1 {{expected 'tp.name' of argument #1 to be a non-empty string, found 3 : i64}}
func.func @name_not_string(%x: tensor<2x4xf32>, %w: tensor<5x4xf32> {tp.name = 3}) {
  return
}

// -----

// Tests that checkpoint names are unique within a function.
// expected-error@+1 {{duplicate tp.name "w" on arguments #0 and #1}}
func.func @duplicate_name(%a: tensor<5x4xf32> {tp.name = "w"}, %b: tensor<5x4xf32> {tp.name = "w"}) {
  return
}

// -----

// Tests that unknown tp argument attributes are rejected.
// expected-error@+1 {{unknown tp argument attribute 'tp.weight' on argument #0}}
func.func @unknown_arg_attr(%a: tensor<5x4xf32> {tp.weight = "w"}) {
  return
}

// -----

// Tests that a softmax normalizes rows of a (batch, features) tensor.
func.func @softmax_rank1(%x: tensor<8xf32>) {
  // expected-error@+1 {{'tp.softmax' op expected input to be a rank-2 tensor (batch x features), found rank 1 ('tensor<8xf32>')}}
  %0 = tp.softmax %x : tensor<8xf32>
  return
}

// -----

// Tests that a softmax's features are static, as a layer's are.
func.func @log_softmax_dynamic_features(%x: tensor<4x?xf32>) {
  // expected-error@+1 {{'tp.log_softmax' op expected a static features dimension in input, found 'tensor<4x?xf32>' (only the batch dimension may be dynamic)}}
  %0 = tp.log_softmax %x : tensor<4x?xf32>
  return
}

// -----

// Tests that a softmax computes in f32.
func.func @softmax_f64(%x: tensor<4x8xf64>) {
  // expected-error@+1 {{'tp.softmax' op expected f32 elements in input, found 'f64'}}
  %0 = tp.softmax %x : tensor<4x8xf64>
  return
}

// -----

// Tests that a softmax has no weight to shard.
func.func @softmax_sharding(%x: tensor<4x8xf32>) {
  // expected-error@+1 {{'tp.log_softmax' op cannot carry a sharding: only tp.linear layers are sharded}}
  %0 = tp.log_softmax %x {sharding = 1 : i32} : tensor<4x8xf32>
  return
}

// -----

// Tests that a softmax's result has its input's type.
func.func @softmax_result_type(%x: tensor<4x8xf32>) {
  // expected-error@+1 {{'tp.softmax' op requires the same type for all operands and results}}
  %0 = "tp.softmax"(%x) : (tensor<4x8xf32>) -> tensor<4x9xf32>
  return
}

// -----

// Tests that log_softmax is an op, not an activation kind, and says so.
func.func @log_softmax_activation(%x: tensor<2x4xf32>, %w: tensor<5x4xf32>) {
  // expected-error@+1 {{unknown activation 'log_softmax'; expected one of: identity, relu, gelu, gelu_tanh, sigmoid, tanh, silu, leaky_relu, elu, selu, softplus, mish, hardtanh, hardsigmoid, hardswish (log_softmax is an op of its own: tp.log_softmax)}}
  %0 = tp.linear %x, %w activation(log_softmax) : tensor<2x4xf32>, tensor<5x4xf32> -> tensor<2x5xf32>
  return
}

// -----

// Tests that a kind without parameters refuses them.
func.func @parameters_on_relu(%x: tensor<2x4xf32>, %w: tensor<5x4xf32>) {
  // expected-error@+1 {{'tp.linear' op activation relu takes no parameters, found 1}}
  %0 = tp.linear %x, %w activation(relu(0.5)) : tensor<2x4xf32>, tensor<5x4xf32> -> tensor<2x5xf32>
  return
}

// -----

// Tests that a kind with parameters takes all of them or none.
func.func @softplus_one_parameter(%x: tensor<2x4xf32>) {
  // expected-error@+1 {{'tp.activation' op activation softplus takes 2 parameters (beta, threshold), found 1}}
  %0 = tp.activation softplus(2.0) %x : tensor<2x4xf32>
  return
}

// -----

// Tests that a parameter is finite (here an infinity written as its bits).
func.func @infinite_slope(%x: tensor<2x4xf32>) {
  // expected-error@+1 {{'tp.activation' op activation leaky_relu: negative_slope must be finite, found inf}}
  %0 = "tp.activation"(%x) <{kind = #tp.activation<leaky_relu>, params = array<f32: 0x7F800000>}> : (tensor<2x4xf32>) -> tensor<2x4xf32>
  return
}

// -----

// Tests that a parameter beyond the f32 range is refused where it is read.
func.func @slope_beyond_f32(%x: tensor<2x4xf32>) {
  // expected-error@+1 {{activation parameter is not a finite f32 (beyond its range, or an infinity or NaN written as bits)}}
  %0 = tp.activation leaky_relu(1.0e39) %x : tensor<2x4xf32>
  return
}

// -----

// Tests hardtanh's bounds: min_val below max_val.
func.func @hardtanh_bounds(%x: tensor<2x4xf32>, %w: tensor<5x4xf32>) {
  // expected-error@+1 {{'tp.linear' op activation hardtanh: min_val (6) must be below max_val (0)}}
  %0 = tp.linear %x, %w activation(hardtanh(6.0, 0.0)) : tensor<2x4xf32>, tensor<5x4xf32> -> tensor<2x5xf32>
  return
}

// -----

// Tests softplus's beta: positive.
func.func @softplus_beta(%x: tensor<2x4xf32>) {
  // expected-error@+1 {{'tp.activation' op activation softplus: beta must be positive, found -1}}
  %0 = tp.activation softplus(-1.0, 20.0) %x : tensor<2x4xf32>
  return
}

// -----

// Tests that the parameters are written as a list of numbers.
func.func @parameters_not_numbers(%x: tensor<2x4xf32>) {
  // expected-error@+1 {{expected floating point literal}}
  %0 = tp.activation elu(alpha) %x : tensor<2x4xf32>
  return
}

// -----

// Tests that a parameter is a float literal, as MLIR writes them.
func.func @integer_parameter(%x: tensor<2x4xf32>) {
  // expected-error@+2 {{unexpected decimal integer literal for a floating point value}}
  // expected-note@+1 {{add a trailing dot to make the literal a float}}
  %0 = tp.activation hardtanh(0, 6.0) %x : tensor<2x4xf32>
  return
}
