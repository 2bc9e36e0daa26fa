//===- Passes.td - tp dialect passes -----------------------*- tablegen -*-===//

#ifndef TP_MLIR_DIALECT_TP_TRANSFORMS_PASSES_TD
#define TP_MLIR_DIALECT_TP_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def FuseActivations : Pass<"tp-fuse-activations"> {
  let summary = "Fuse tp.activation into the tp.linear that produces it";
  let description = [{
    Rewrites a `tp.activation` whose operand is the only use of a
    `tp.linear` without an activation into one `tp.linear` with the
    activation fused. The fused form matters for partitioning: a
    column-sharded layer must apply its activation after the all-reduce,
    and the partitioner sees that only when the activation belongs to the
    layer.

    Before:

    ```mlir
    %0 = tp.linear %x, %w, %b : tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32> -> tensor<4x16xf32>
    %1 = tp.activation relu %0 : tensor<4x16xf32>
    ```

    After:

    ```mlir
    %1 = tp.linear %x, %w, %b activation(relu) : tensor<4x8xf32>, tensor<16x8xf32>, tensor<16xf32> -> tensor<4x16xf32>
    ```

    A linear op whose result has other uses is left alone, since fusing
    would change what those uses see.
  }];
}

#endif // TP_MLIR_DIALECT_TP_TRANSFORMS_PASSES_TD
