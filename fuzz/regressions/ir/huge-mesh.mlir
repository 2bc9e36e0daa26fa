module attributes {tp.mesh = #tp.mesh<shape = [9223372036854775807]>} {
}
