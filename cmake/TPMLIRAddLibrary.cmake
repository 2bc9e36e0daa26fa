#===- TPMLIRAddLibrary.cmake - project library helper --------------------===#
#
# tp_add_library(Name SOURCES... [DEPENDS tgt...] [LINK_LIBS lib...])
#
# A static, position-independent library with the project prefix that links
# the shared libMLIR.so / libLLVM.so. add_mlir_library is not used: it exports
# into MLIR's own export set and builds object libraries for an aggregate
# libMLIR that an out-of-tree project never makes.
#
#===----------------------------------------------------------------------===#
function(tp_add_library name)
  cmake_parse_arguments(ARG "" "" "DEPENDS;LINK_LIBS" ${ARGN})
  add_library(${name} STATIC ${ARG_UNPARSED_ARGUMENTS})
  add_library(TPMLIR::${name} ALIAS ${name})
  if(ARG_DEPENDS)
    add_dependencies(${name} ${ARG_DEPENDS})
  endif()
  target_include_directories(${name} PUBLIC
    $<BUILD_INTERFACE:${TP_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${TP_BINARY_DIR}/include>
    $<INSTALL_INTERFACE:include>)
  target_include_directories(${name} SYSTEM PUBLIC
    ${LLVM_INCLUDE_DIRS} ${MLIR_INCLUDE_DIRS})
  target_link_libraries(${name} PUBLIC ${ARG_LINK_LIBS} MLIR LLVM)
  install(TARGETS ${name} EXPORT TPMLIRTargets
    ARCHIVE DESTINATION lib LIBRARY DESTINATION lib)
endfunction()
