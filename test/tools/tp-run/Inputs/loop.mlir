// Control flow: a model is one block.
func.func @loop(%x: tensor<?x4xf32>, %w: tensor<4x4xf32> {tp.name = "w"}) -> tensor<?x4xf32> {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c1 = arith.constant 1 : index
  %r = scf.for %i = %c0 to %c2 step %c1 iter_args(%h = %x) -> tensor<?x4xf32> {
    %y = tp.linear %h, %w : tensor<?x4xf32>, tensor<4x4xf32> -> tensor<?x4xf32>
    scf.yield %y : tensor<?x4xf32>
  }
  return %r : tensor<?x4xf32>
}
