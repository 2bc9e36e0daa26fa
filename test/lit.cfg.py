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
config.substitutions.append(("%cc", config.c_compiler))

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.tp_tools_dir, append_path=True)

tools = ["tp-opt", "tp-run", "tp-compile", "mlir-opt"]
llvm_config.add_tool_substitutions(tools, [config.tp_tools_dir,
                                           config.llvm_tools_dir])
config.substitutions.append(("%python", sys.executable))
