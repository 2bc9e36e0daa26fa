// RUN: tp-opt %s -split-input-file --tp-set-strategy=strategy=row -verify-diagnostics
// RUN: not tp-opt %s --tp-set-strategy=strategy=diagonal 2>&1 | FileCheck %s --check-prefix=NAME
// RUN: not tp-opt %s -split-input-file --tp-set-strategy="strategy=row batch=-5" 2>&1 | FileCheck %s --check-prefix=BATCH

// Tests that the batch is checked whatever the strategy, not silently unused.
// BATCH: error: tp-set-strategy: batch must be from 1 to {{[0-9]+}}, got -5

// Tests that an unknown strategy name is an error that lists the valid ones.
// NAME: tp-opt: for the --strategy option: unknown value 'diagonal'; expected one of: row, column, alternate, replicated

// Tests that a strategy needs a mesh.
// expected-error@+1 {{tp-set-strategy needs a device mesh: add 'tp.mesh' to the module or run tp-set-mesh first}}
module {
}
