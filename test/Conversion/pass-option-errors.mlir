// An option of a lowering pass that does not parse is an error that names
// the pass and the options (llvm::cl prints why on the line before), not an
// empty one.
// RUN: not tp-opt %s --convert-tp-to-runtime=runtime=foo 2>&1 | FileCheck %s --check-prefix=RUNTIME
// RUN: not tp-opt %s --tp-insert-profile-timers=runtime=foo 2>&1 | FileCheck %s --check-prefix=TIMERS
// RUN: not tp-opt %s --tp-tile-matmuls=vector-lanes=x 2>&1 | FileCheck %s --check-prefix=TILE
// RUN: not tp-opt %s --tp-lower-matmul-vectors=vector-lanes=x 2>&1 | FileCheck %s --check-prefix=LOWER
// RUN: not tp-opt %s --tp-outline-segments=ops=x 2>&1 | FileCheck %s --check-prefix=OUTLINE

// RUNTIME: unknown value 'foo'; expected one of: host, gpu
// RUNTIME-NEXT: error: convert-tp-to-runtime: invalid options 'runtime=foo' (llvm::cl says why above)
// TIMERS: error: tp-insert-profile-timers: invalid options 'runtime=foo'
// TILE: error: tp-tile-matmuls: invalid options 'vector-lanes=x'
// LOWER: error: tp-lower-matmul-vectors: invalid options 'vector-lanes=x'
// OUTLINE: error: tp-outline-segments: invalid options 'ops=x'

func.func @f() {
  return
}
