// RUN: tp-opt %s --tp-approximate-math | FileCheck %s

// The f32 tanh, erf, exp, expm1 and log1p of the activations become arithmetic (fma,
// floor, selects): no math function is left for libm.
// CHECK-LABEL: func.func @tanh
// CHECK-NOT: math.tanh
// CHECK: math.fma
// CHECK-NOT: math.tanh
// CHECK: return
func.func @tanh(%x: f32) -> f32 {
  %t = math.tanh %x : f32
  return %t : f32
}

// CHECK-LABEL: func.func @erf
// CHECK-NOT: math.erf
// CHECK: math.fma
// CHECK-NOT: math.erf
// CHECK: return
func.func @erf(%x: f32) -> f32 {
  %e = math.erf %x : f32
  return %e : f32
}

// A NaN input is given back as it is: the approximation's conversion to an
// integer makes it poison.
// CHECK-LABEL: func.func @exp
// CHECK-NOT: math.exp
// CHECK: math.fma
// CHECK-NOT: math.exp
// CHECK: %[[NAN:.*]] = arith.cmpf uno, %arg0, %arg0 : f32
// CHECK-NEXT: %[[R:.*]] = arith.select %[[NAN]], %arg0, %{{.*}} : f32
// CHECK-NEXT: return %[[R]]
func.func @exp(%x: f32) -> f32 {
  %p = math.exp %x : f32
  return %p : f32
}

// Vectors of f32 too.
// CHECK-LABEL: func.func @vectors
// CHECK-NOT: math.tanh
// CHECK: %[[NAN:.*]] = arith.cmpf uno, %arg0, %arg0 : vector<16xf32>
// CHECK-NEXT: %[[R:.*]] = arith.select %[[NAN]], %arg0, %{{.*}} : vector<16xi1>, vector<16xf32>
// CHECK-NEXT: return %[[R]]
func.func @vectors(%x: vector<16xf32>) -> vector<16xf32> {
  %t = math.tanh %x : vector<16xf32>
  return %t : vector<16xf32>
}

// expm1 (elu, selu) and log1p (softplus, mish) go through exp and log,
// both approximated, behind the same NaN guard.
// CHECK-LABEL: func.func @expm1_log1p
// CHECK-NOT: math.{{(exp|log)}}
// CHECK: %[[NAN:.*]] = arith.cmpf uno, %arg0, %arg0 : f32
// CHECK-NOT: math.{{(exp|log)}}
// CHECK: arith.select %[[NAN]], %arg0, %{{.*}} : f32
// CHECK-NOT: math.{{(exp|log)}}
// CHECK: return
func.func @expm1_log1p(%x: f32) -> f32 {
  %e = math.expm1 %x : f32
  %l = math.log1p %e : f32
  return %l : f32
}

// Other types and other functions are left alone.
// CHECK-LABEL: func.func @untouched
// CHECK: math.tanh %{{.*}} : f64
// CHECK: math.sin %{{.*}} : f32
func.func @untouched(%x: f64, %y: f32) -> (f64, f32) {
  %t = math.tanh %x : f64
  %l = math.sin %y : f32
  return %t, %l : f64, f32
}
