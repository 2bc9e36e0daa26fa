// The example chain: a three-layer perceptron, 784 -> 512 -> 256 -> 10, with
// a dynamic batch. Weights use PyTorch's nn.Linear layout and carry their
// checkpoint names, so a safetensors file of the model loads unchanged.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @mlp(%x: tensor<?x784xf32>,
                 %w0: tensor<512x784xf32> {tp.name = "fc0.weight"},
                 %b0: tensor<512xf32> {tp.name = "fc0.bias"},
                 %w1: tensor<256x512xf32> {tp.name = "fc1.weight"},
                 %b1: tensor<256xf32> {tp.name = "fc1.bias"},
                 %w2: tensor<10x256xf32> {tp.name = "fc2.weight"},
                 %b2: tensor<10xf32> {tp.name = "fc2.bias"})
      -> tensor<?x10xf32> {
    %h0 = tp.linear %x, %w0, %b0 activation(gelu)
        : tensor<?x784xf32>, tensor<512x784xf32>, tensor<512xf32> -> tensor<?x512xf32>
    %h1 = tp.linear %h0, %w1, %b1 activation(relu)
        : tensor<?x512xf32>, tensor<256x512xf32>, tensor<256xf32> -> tensor<?x256xf32>
    %y = tp.linear %h1, %w2, %b2
        : tensor<?x256xf32>, tensor<10x256xf32>, tensor<10xf32> -> tensor<?x10xf32>
    return %y : tensor<?x10xf32>
  }
}
