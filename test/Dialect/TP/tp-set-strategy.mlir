// RUN: tp-opt %s -split-input-file --tp-set-strategy=strategy=row | FileCheck %s --check-prefix=ROW
// RUN: tp-opt %s -split-input-file --tp-set-strategy=strategy=column | FileCheck %s --check-prefix=COLUMN
// RUN: tp-opt %s -split-input-file --tp-set-strategy=strategy=replicated | FileCheck %s --check-prefix=REPL
// RUN: tp-opt %s -split-input-file --tp-set-strategy=strategy=alternate | FileCheck %s --check-prefix=ALT
// RUN: tp-opt %s -split-input-file --tp-set-strategy | FileCheck %s --check-prefix=ALT

// Tests each uniform strategy on a four-layer chain with an activation in
// the middle; alternate pairs row with column through the activation.
// ROW-COUNT-4: sharding(row)
// COLUMN-COUNT-4: sharding(column)
// REPL-COUNT-4: sharding(replicated)
// ALT-LABEL: func @chain
// ALT: tp.linear {{.*}} sharding(row)
// ALT: tp.linear {{.*}} sharding(column)
// ALT: tp.activation
// ALT: tp.linear {{.*}} sharding(row)
// ALT: tp.linear {{.*}} sharding(column)
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @chain(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> tensor<4x8xf32> {
    %0 = tp.linear %x, %w : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
    %1 = tp.linear %0, %w : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
    %2 = tp.activation relu %1 : tensor<4x8xf32>
    %3 = tp.linear %2, %w : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
    %4 = tp.linear %3, %w : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
    return %4 : tensor<4x8xf32>
  }
}

// -----

// Tests that hand-written shardings stay, and that alternate continues from
// them: after a hand-written column the next layer is row, after a row it is
// column.
// ROW-LABEL: func @by_hand
// ROW: sharding(column)
// ROW: sharding(row)
// ROW: sharding(row)
// ALT-LABEL: func @by_hand
// ALT: tp.linear {{.*}} sharding(column)
// ALT-NEXT: tp.linear {{.*}} sharding(row)
// ALT-NEXT: tp.linear {{.*}} sharding(column)
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @by_hand(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> tensor<4x8xf32> {
    %0 = tp.linear %x, %w sharding(column) : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
    %1 = tp.linear %0, %w : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
    %2 = tp.linear %1, %w : tensor<4x8xf32>, tensor<8x8xf32> -> tensor<4x8xf32>
    return %2 : tensor<4x8xf32>
  }
}
