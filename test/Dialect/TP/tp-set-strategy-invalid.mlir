// RUN: tp-opt %s -split-input-file --tp-set-strategy=strategy=diagonal -verify-diagnostics

// Tests that an unknown strategy name is an error.
// expected-error@+1 {{tp-set-strategy: unknown strategy 'diagonal'; expected one of: row, column, alternate, replicated}}
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
}

// -----

// Tests that a strategy needs a mesh (checked before the name).
// expected-error@+1 {{tp-set-strategy needs a device mesh: add 'tp.mesh' to the module or run tp-set-mesh first}}
module {
}
