"""For every pair of splits (row, column, replicated, batch) of two layers
with a softmax between them, writes the model into DIR, runs it with
tp-run at D = 4 (the splits fixed by hand, planned with --strategy auto so
that --explain prints the planner's collectives) and --check, and prints
whether the planner's collectives are the partitioned program's (the free
all_slice aside), with the collectives and the check's verdict. Then the
same for each further MODEL.mlir given, planned by the planner alone."""
import collections
import os
import re
import subprocess
import sys

out = sys.argv[1]
SPLITS = ("row", "column", "replicated", "batch")
MODEL = """func.func @f(%x: tensor<?x16xf32>, %w0: tensor<12x16xf32>,
    %b0: tensor<12xf32>, %w1: tensor<8x12xf32>) -> tensor<?x8xf32> {
  %0 = tp.linear %x, %w0, %b0 sharding(FIRST) : tensor<?x16xf32>, tensor<12x16xf32>, tensor<12xf32> -> tensor<?x12xf32>
  %1 = tp.softmax %0 : tensor<?x12xf32>
  %2 = tp.linear %1, %w1 sharding(SECOND) : tensor<?x12xf32>, tensor<8x12xf32> -> tensor<?x8xf32>
  return %2 : tensor<?x8xf32>
}
"""


def compare(name, path):
    run = subprocess.run(
        ["tp-run", path, "--devices", "4", "--batch", "64", "--strategy",
         "auto", "--explain", "--check"], capture_output=True, text=True)
    text = run.stdout + run.stderr
    plan = collections.Counter(re.findall(r"then (\w+)", text))
    line = re.search(r"^partitioned for .*?: (.*)$", text, re.M)
    program = collections.Counter()
    if line and line.group(1) != "no collectives":
        for count, kind in re.findall(r"(\d+) (\w+)", line.group(1)):
            if kind != "all_slice":
                program[kind] = int(count)
    check = re.search(r"^check: (\w+)", text, re.M)
    shown = " ".join("%d %s" % (program[k], k) for k in sorted(program))
    print("%s: %s (%s), check %s"
          % (name, "plan = program" if plan == program else
             "MISMATCH: plan %s" % dict(plan), shown or "none",
             check.group(1) if check else "missing"))


for first in SPLITS:
    for second in SPLITS:
        path = os.path.join(out, "%s-%s.mlir" % (first, second))
        with open(path, "w") as f:
            f.write(MODEL.replace("FIRST", first).replace("SECOND", second))
        compare("%s-%s" % (first, second), path)
for path in sys.argv[2:]:
    compare(os.path.basename(path), path)
