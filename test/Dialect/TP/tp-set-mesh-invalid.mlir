// RUN: tp-opt %s --tp-set-mesh=devices=0 -verify-diagnostics

// Tests D = 0 as a diagnostic on the module.
// expected-error@+1 {{tp-set-mesh: expected a positive device count, found 0}}
module {
}
