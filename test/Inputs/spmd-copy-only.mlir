// A partitioned function whose only GPU kernel is a copy (no math, so no
// libdevice): tp-to-gpu-pipeline.mlir lowers it with a missing toolkit.
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  func.func @f(%p: tensor<4x8xf32>) -> tensor<4x8xf32> attributes {tp.spmd} {
    return %p : tensor<4x8xf32>
  }
}
