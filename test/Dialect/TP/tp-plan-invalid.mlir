// RUN: tp-opt %s --tp-plan="batch=8 memory-limit-mib=1" -verify-diagnostics
// RUN: not tp-opt %s --tp-plan="batch=8 memory-limit-mib=1 matmul=blas" 2>&1 | FileCheck %s --check-prefix=BLAS
// RUN: not tp-opt %s --tp-plan="profile=%t.missing" 2>&1 | FileCheck %s --check-prefix=PROFILE
// RUN: echo '{"gemm": []}' > %t.json
// RUN: not tp-opt %s --tp-plan="profile=%t.json" 2>&1 | FileCheck %s --check-prefix=BADJSON
// RUN: not tp-opt %s --tp-plan="memory-limit-mib=-3" 2>&1 | FileCheck %s --check-prefix=NEGATIVE
// RUN: not tp-opt %s --tp-plan="batch=0" 2>&1 | FileCheck %s --check-prefix=BATCH
// RUN: not tp-opt %s --tp-plan="batch=4611686018427387904" 2>&1 | FileCheck %s --check-prefix=BATCH
// RUN: not tp-opt %s --tp-plan="batch=1099511627776" 2>&1 | FileCheck %s --check-prefix=ELEMENTS
// RUN: not tp-opt %s --tp-plan="memory-limit-mib=17592186044417" 2>&1 | FileCheck %s --check-prefix=NEGATIVE
// RUN: python3 -c "print('[' * 100000 + ']' * 100000)" > %t.deep.json
// RUN: not tp-opt %s --tp-plan="profile=%t.deep.json" 2>&1 | FileCheck %s --check-prefix=DEEP
// RUN: not tp-opt %s --tp-plan="profile=/dev/zero" 2>&1 | FileCheck %s --check-prefix=DEVICE
// RUN: %python -c "import json, re; p = json.load(open('%S/../../tools/tp-run/Inputs/fast-network.json')); t = json.dumps(p); open('%t.dup.json', 'w').write(t[:-1] + ', \"gemm_bytes_per_second\": 1e-20}'); p['gemm_widht'] = p.pop('gemm'); open('%t.typo.json', 'w').write(json.dumps(p)); q = json.load(open('%S/../../tools/tp-run/Inputs/fast-network.json')); q['gemm'][0]['flop'] = 1; open('%t.point.json', 'w').write(json.dumps(q)); r = json.loads(t); r['epilogue_seconds_per_element']['relu6'] = 1; open('%t.act.json', 'w').write(json.dumps(r))"
// RUN: not tp-opt %s --tp-plan="profile=%t.dup.json" 2>&1 | FileCheck %s --check-prefix=DUPKEY
// RUN: not tp-opt %s --tp-plan="profile=%t.typo.json" 2>&1 | FileCheck %s --check-prefix=TYPO
// RUN: not tp-opt %s --tp-plan="profile=%t.point.json" 2>&1 | FileCheck %s --check-prefix=POINT
// RUN: not tp-opt %s --tp-plan="profile=%t.act.json" 2>&1 | FileCheck %s --check-prefix=ACT
// RUN: not tp-opt %s --tp-partition-pipeline="devices=2 strategy=row memory-limit-mib=1" 2>&1 | FileCheck %s --check-prefix=NOTAUTO
// RUN: not tp-opt %s --tp-set-mesh=devices=2 --tp-set-strategy="strategy=column profile=%t.json" 2>&1 | FileCheck %s --check-prefix=NOTAUTO2
// RUN: not tp-opt %s --tp-partition-pipeline="devices=2 batch=16 matmul=blas" 2>&1 | FileCheck %s --check-prefix=NOTAUTO3

// Tests the planner's errors: a memory limit no plan fits (with the
// smallest plan's need, which counts the generated matmul's packed buffers
// under the default matmul=auto, and sgemm's packing buffer with sgemm), a
// missing or malformed profile, bad options.
// BLAS: error: no plan fits the memory limit of 1.0 MiB per device: the smallest needs 4.7 MiB (weight shards, the input, the live activations and sgemm's packing buffer at batch 8)
// PROFILE: error: cannot read {{.*}}.missing: No such file or directory
// BADJSON: error: {{.*}}.json: machine profile: 'epilogue_seconds_per_element' must be an object with a positive number for each activation
// NEGATIVE: error: memory-limit-mib must be 0 (no limit) or positive, at most 1099511627776, got
// BATCH: error: the planned batch must be from 1 to 1099511627776, got
// ELEMENTS: error: at batch 1099511627776, the activations of {{.*}} (1024 in, 1024 out) would have more than 1099511627776 elements
// DEEP: machine profile: line 1 nests brackets more than 256 deep
// DEVICE: error: cannot read /dev/zero: it is not a regular file (a directory, a device or a pipe)
// DUPKEY: error: {{.*}}dup.json: machine profile: the key 'gemm_bytes_per_second' appears twice in the profile
// TYPO: error: {{.*}}typo.json: machine profile: unknown key 'gemm_widht' in the profile (known keys: source, matmul, gemm, gemm_rows, gemm_width,
// POINT: error: {{.*}}point.json: machine profile: unknown key 'flop' in a 'gemm' point (known keys: flops, flops_per_second)
// ACT: error: {{.*}}act.json: machine profile: unknown key 'relu6' in 'epilogue_seconds_per_element' (known keys: identity, relu,
// NOTAUTO: error: memory-limit-mib is the planner's option: it needs strategy=auto (the strategy here is row)
// NOTAUTO2: error: profile is the planner's option: it needs strategy=auto (the strategy here is column)
// NOTAUTO3: error: batch and matmul are the planner's options: they need strategy=auto (the strategy here is alternate)
module attributes {tp.mesh = #tp.mesh<shape = [2]>} {
  // expected-error @below {{no plan fits the memory limit of 1.0 MiB per device: the smallest needs 4.6 MiB (weight shards, the input and the live activations at batch 8)}}
  func.func @big(%x: tensor<?x1024xf32>, %w0: tensor<1024x1024xf32>, %w1: tensor<1024x1024xf32>) -> tensor<?x1024xf32> {
    %0 = tp.linear %x, %w0 : tensor<?x1024xf32>, tensor<1024x1024xf32> -> tensor<?x1024xf32>
    %1 = tp.linear %0, %w1 : tensor<?x1024xf32>, tensor<1024x1024xf32> -> tensor<?x1024xf32>
    return %1 : tensor<?x1024xf32>
  }
}
