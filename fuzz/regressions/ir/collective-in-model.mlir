module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @f(%a: tensor<4x10xf32>) -> tensor<4x10xf32> {
    %0 = tp.all_reduce sum %a : tensor<4x10xf32>
    return %0 : tensor<4x10xf32>
  }
}
