// RUN: tp-opt %s --tp-set-mesh=devices=0 -verify-diagnostics
// RUN: not tp-opt %s --tp-set-mesh=devices=65537 2>&1 | FileCheck %s --check-prefix=BIG
// RUN: not tp-opt %s --tp-set-mesh=devices=abc 2>&1 | FileCheck %s --check-prefix=NAN

// Tests D = 0 as a diagnostic on the module.
// expected-error@+1 {{tp-set-mesh: expected a device count from 1 to 65536, found 0}}
module {
}

// Tests a device count past the limit.
// BIG: error: tp-set-mesh: expected a device count from 1 to 65536, found 65537

// Tests a count that is not a number: the option error and a diagnostic that
// names the pass (not an empty one).
// NAN: tp-opt: for the --devices option: 'abc' value invalid for long argument!
// NAN: error: tp-set-mesh: invalid options 'devices=abc'
