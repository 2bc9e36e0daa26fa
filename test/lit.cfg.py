# -*- Python -*-
import os
import sys

import lit.formats
from lit.llvm import llvm_config

config.name = "TP-MLIR"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs",
                   "project"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.tp_obj_root, "test")

config.substitutions.append(("%shlibext", config.llvm_shlib_ext))
config.substitutions.append(("%tp_src_root", config.tp_src_root))
config.substitutions.append(("%tp_obj_root", config.tp_obj_root))
config.substitutions.append(("%tp_lib_dir", config.tp_lib_dir))
config.substitutions.append(("%mlir_dir", config.mlir_dir))
config.substitutions.append(("%cmake_generator", config.cmake_generator))
config.substitutions.append(("%cmake", config.cmake_command))
config.substitutions.append(("%cxx", config.cxx_compiler))
def is_on(value):
    return value.upper() in ("ON", "1", "TRUE", "YES")

# In the sanitizer tree, programs the tests compile link the sanitized
# runtime libraries, so they are sanitized too.
sanitizer_flags = ""
# Whether a process can reset its peak resident size, which tp-run's share
# of it since placing the tensors needs (Linux's /proc/self/clear_refs).
try:
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")
    config.available_features.add("peak-reset")
except OSError:
    pass
if is_on(config.tp_sanitize):
    config.available_features.add("asan")
    # What cannot run sanitized runs in the Release tree only: Debian's
    # mlir-opt cannot load a sanitized plugin, the downstream project is
    # built without sanitizers, and thread stacks cannot be limited under
    # ASan's address-space reservations.
    config.excludes += ["Plugin", "Downstream", "resources.test"]
    sanitizer_flags = " -fsanitize=address,undefined"
    # LLVM's and OpenMPI's own allocations that live until exit are not
    # tp-mlir's leaks.
    config.environment["LSAN_OPTIONS"] = "suppressions=" + os.path.join(
        config.tp_src_root, "scripts", "lsan.supp") + ":print_suppressions=0"
    config.environment["UBSAN_OPTIONS"] = "print_stacktrace=1"
if not is_on(config.tp_build_fuzzers):
    # The fuzz targets exist only in the sanitizer tree.
    config.excludes += ["fuzz"]
else:
    config.available_features.add("fuzzers")
    llvm_config.add_tool_substitutions(
        ["tp-fuzz-ir", "tp-fuzz-safetensors", "tp-fuzz-npy"],
        [config.tp_tools_dir])
config.substitutions.append(("%cc", config.c_compiler + sanitizer_flags))

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.tp_tools_dir, append_path=True)

tools = ["tp-opt", "tp-run", "tp-compile", "mlir-opt", "tp-capi-test"]
if is_on(config.tp_enable_gpu):
    tools.append("tp-gpu-probe")
llvm_config.add_tool_substitutions(tools, [config.tp_tools_dir,
                                           config.llvm_tools_dir])
config.substitutions.append(("%python", sys.executable))
# Debian's interpreter, whose packages (python3-torch) the exporter uses.
config.substitutions.append(("%debian_python", "/usr/bin/python3"))
config.substitutions.append(("%tp_tools_dir", config.tp_tools_dir))

# The runtime libraries an application links, threads or MPI.
config.substitutions.append(("%tp_runtime_threads",
    " ".join(os.path.join(config.tp_lib_dir, "libTPMLIR%s.a" % l) for l in
             ["RuntimeThreads", "RuntimeBLAS", "RuntimeCore"]) +
    " -lopenblas -lstdc++ -lm -lpthread"))

# MPI: tests that start ranks as processes. CI runs as root, which OpenMPI
# refuses unless told; more ranks than cores is normal here.
if is_on(config.tp_enable_mpi) and \
        config.tp_mpiexec and os.path.exists(config.tp_mpiexec):
    config.available_features.add("mpi")
    config.environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
    config.environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
    config.environment["OMPI_MCA_rmaps_base_oversubscribe"] = "1"
    # A killed rank takes the job down at once rather than after 1 s.
    config.environment["OMPI_MCA_odls_base_sigkill_timeout"] = "0"
    if is_on(config.tp_sanitize):
        # OpenMPI's components keep allocations until exit, from modules
        # that MPI_Finalize unloads, which LeakSanitizer cannot attribute;
        # the threads tests check tp-mlir's own allocations for leaks.
        config.substitutions.append(
            ("%mpirun", "env ASAN_OPTIONS=detect_leaks=0 " + config.tp_mpiexec))
    else:
        config.substitutions.append(("%mpirun", config.tp_mpiexec))
    mpi_libs = " ".join(config.tp_mpi_libraries.split(";"))
    mpi_includes = " ".join("-I" + d for d in
                            config.tp_mpi_include_dirs.split(";") if d)
    config.substitutions.append(("%tp_runtime_mpi",
        " ".join(os.path.join(config.tp_lib_dir, "libTPMLIR%s.a" % l) for l in
                 ["RuntimeMPI", "RuntimeBLAS", "RuntimeCore"]) +
        " " + mpi_libs + " -lopenblas -lstdc++ -lm -lpthread"))
    config.substitutions.append(("%mpi_cflags", mpi_includes))

# Several hosts on this machine: network namespaces joined by a bridge,
# which needs root and a kernel that lets us make them.
def can_make_netns():
    import subprocess
    if os.geteuid() != 0 or not shutil.which("ip") or \
            not shutil.which("unshare"):
        return False
    name = "tplitprobe%d" % os.getpid()
    ok = subprocess.call(["ip", "netns", "add", name],
                         stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL) == 0
    if ok:
        subprocess.call(["ip", "netns", "del", name],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return ok

import shutil
if "mpi" in config.available_features and can_make_netns():
    config.available_features.add("netns")

# The GPU backend: its compile-only tests run wherever it is built (the CUDA
# toolkit is enough); tests that run GPU code need a device on which a
# kernel really runs, which the probe checks.
if is_on(config.tp_enable_gpu):
    config.available_features.add("gpu-backend")
    config.substitutions.append(("%ptxas",
        os.path.join(config.tp_cuda_root, "bin", "ptxas")))
    config.substitutions.append(("%tp_runtime_gpu",
        " ".join(os.path.join(config.tp_lib_dir, "libTPMLIR%s.a" % l) for l in
                 ["RuntimeGPU", "RuntimeThreads", "RuntimeCore"]) +
        " " + config.tp_cuda_libraries + " -lstdc++ -lm -lpthread"))
    import subprocess
    probe = os.path.join(config.tp_tools_dir, "tp-gpu-probe")
    try:
        result = subprocess.run([probe], stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, timeout=120)
        if result.returncode == 0:
            config.available_features.add("cuda-device")
        lit_config.note("GPU probe: " +
                        result.stdout.decode(errors="replace").strip())
    except (OSError, subprocess.TimeoutExpired) as e:
        lit_config.note("GPU probe failed: %s" % e)
