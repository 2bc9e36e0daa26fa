#===- TPMLIRCUDA.cmake - find the CUDA toolkit for the GPU backend -------===#
#
# Sets TP_ENABLE_GPU (default: whether nvcc, cudart, cuBLASLt and NCCL are
# all found), enables the CUDA language with nvcc for the runtime's kernels,
# and TP_CUDA_ROOT, the toolkit whose ptxas makes cubins.
#
#===----------------------------------------------------------------------===#
set(TP_CUDA_ROOT "/usr/local/cuda" CACHE PATH "Where the CUDA toolkit is")
set(TP_CUDA_ARCH "90" CACHE STRING
  "The compute capability the GPU runtime's kernels are built for (90: H100/H200)")

find_program(TP_NVCC nvcc HINTS ${TP_CUDA_ROOT}/bin)
set(_tp_gpu_missing "")
if(TP_NVCC)
  get_filename_component(_tp_nvcc_bin ${TP_NVCC} DIRECTORY)
  get_filename_component(_tp_cuda_root ${_tp_nvcc_bin} DIRECTORY)
  set(CUDAToolkit_ROOT ${_tp_cuda_root})
  find_package(CUDAToolkit QUIET)
  if(NOT CUDAToolkit_FOUND)
    set(_tp_gpu_missing "the CUDA runtime")
  elseif(NOT TARGET CUDA::cublasLt)
    set(_tp_gpu_missing "cuBLASLt")
  else()
    # NCCL ships in the toolkit's lib/ on these machines; a system NCCL
    # (libnccl-dev) is found too.
    find_path(TP_NCCL_INCLUDE_DIR nccl.h
      HINTS ${CUDAToolkit_INCLUDE_DIRS} ${_tp_cuda_root}/include)
    find_library(TP_NCCL_LIBRARY nccl
      HINTS ${CUDAToolkit_LIBRARY_DIR} ${_tp_cuda_root}/lib
            ${_tp_cuda_root}/lib64)
    if(NOT TP_NCCL_INCLUDE_DIR OR NOT TP_NCCL_LIBRARY)
      set(_tp_gpu_missing "NCCL (nccl.h and libnccl)")
    endif()
  endif()
else()
  set(_tp_gpu_missing "nvcc (the CUDA toolkit, looked for in ${TP_CUDA_ROOT}/bin and on PATH)")
endif()

if(_tp_gpu_missing STREQUAL "")
  set(_tp_gpu_default ON)
else()
  set(_tp_gpu_default OFF)
endif()
option(TP_ENABLE_GPU "Build the GPU backend (CUDA, cuBLASLt, NCCL)" ${_tp_gpu_default})
if(TP_ENABLE_GPU AND NOT _tp_gpu_missing STREQUAL "")
  message(FATAL_ERROR "TP_ENABLE_GPU is on, but ${_tp_gpu_missing} was not found")
endif()

if(TP_ENABLE_GPU)
  set(TP_CUDA_ROOT ${_tp_cuda_root} CACHE PATH "Where the CUDA toolkit is" FORCE)
  set(CMAKE_CUDA_COMPILER ${TP_NVCC})
  # nvcc supports a range of host compilers; the sanitizer build's clang 22
  # is newer than it knows, and the kernels' host stubs need nothing of it.
  if(NOT DEFINED CMAKE_CUDA_HOST_COMPILER)
    find_program(TP_CUDA_HOST_CXX g++)
    set(CMAKE_CUDA_HOST_COMPILER ${TP_CUDA_HOST_CXX})
  endif()
  set(CMAKE_CUDA_ARCHITECTURES ${TP_CUDA_ARCH})
  set(CMAKE_CUDA_STANDARD 17)
  enable_language(CUDA)
  # How a C program the tests build links the GPU runtime's CUDA libraries.
  get_filename_component(_tp_nccl_dir ${TP_NCCL_LIBRARY} DIRECTORY)
  set(TP_CUDA_LINK_LIBRARIES "-L${CUDAToolkit_LIBRARY_DIR} -Wl,-rpath,${CUDAToolkit_LIBRARY_DIR} -Wl,-rpath,${_tp_nccl_dir} -lcudart -lcublasLt ${TP_NCCL_LIBRARY}")
  message(STATUS "GPU backend: on (CUDA ${CUDAToolkit_VERSION} in ${TP_CUDA_ROOT}, "
    "kernels for sm_${TP_CUDA_ARCH}, NCCL ${TP_NCCL_LIBRARY})")
else()
  if(_tp_gpu_missing STREQUAL "")
    message(STATUS "GPU backend: off (TP_ENABLE_GPU=OFF)")
  else()
    message(STATUS "GPU backend: off (${_tp_gpu_missing} not found; install the CUDA toolkit at /usr/local/cuda or set TP_CUDA_ROOT)")
  endif()
endif()
