// RUN: tp-opt %s --tp-approximate-math | FileCheck %s

// The f32 tanh, erf and exp of the activations become arithmetic (fma,
// floor, selects): no math function is left for libm.
// CHECK-LABEL: func.func @activations
// CHECK-NOT: math.tanh
// CHECK-NOT: math.erf
// CHECK-NOT: math.exp
// CHECK: math.fma
// CHECK: return
func.func @activations(%x: f32) -> (f32, f32, f32) {
  %t = math.tanh %x : f32
  %e = math.erf %x : f32
  %p = math.exp %x : f32
  return %t, %e, %p : f32, f32, f32
}

// Vectors of f32 too.
// CHECK-LABEL: func.func @vectors
// CHECK-NOT: math.tanh
// CHECK: return
func.func @vectors(%x: vector<16xf32>) -> vector<16xf32> {
  %t = math.tanh %x : vector<16xf32>
  return %t : vector<16xf32>
}

// Other types and other functions are left alone.
// CHECK-LABEL: func.func @untouched
// CHECK: math.tanh %{{.*}} : f64
// CHECK: math.log %{{.*}} : f32
func.func @untouched(%x: f64, %y: f32) -> (f64, f32) {
  %t = math.tanh %x : f64
  %l = math.log %y : f32
  return %t, %l : f64, f32
}
