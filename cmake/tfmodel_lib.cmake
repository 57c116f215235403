# tfmodel_layer(NAME DEPS ...): a static library from src/NAME/**.cc, excluding
# *_test.cc and *_fuzz.cc (those are built by tests/).
function(tfmodel_layer name)
  cmake_parse_arguments(L "" "" "DEPS" ${ARGN})
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/${name}/*.cc)
  list(FILTER srcs EXCLUDE REGEX "_(test|fuzz)\\.cc$")
  if(NOT srcs)
    set(srcs ${CMAKE_SOURCE_DIR}/cmake/empty.cc)
  endif()
  add_library(tfmodel_${name} STATIC ${srcs})
  target_include_directories(tfmodel_${name} PUBLIC ${CMAKE_SOURCE_DIR}/src ${CMAKE_SOURCE_DIR}/include)
  target_link_libraries(tfmodel_${name} PUBLIC ${L_DEPS})
  target_compile_options(tfmodel_${name} PRIVATE ${TFMODEL_WARNINGS})
endfunction()

# tfmodel_tests(LAYER LABEL): one gtest binary from src/LAYER/**_test.cc.
function(tfmodel_unit_tests layer)
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/${layer}/*_test.cc)
  if(NOT srcs)
    return()
  endif()
  add_executable(${layer}_test ${srcs} ${CMAKE_SOURCE_DIR}/tests/test_util.cc
    ${CMAKE_SOURCE_DIR}/tests/kernel_test_util.cc ${CMAKE_SOURCE_DIR}/tests/image_test_util.cc)
  target_link_libraries(${layer}_test PRIVATE tfmodel_${layer} tfmodel_runtime GTest::gtest GTest::gmock GTest::gtest_main)
  target_include_directories(${layer}_test PRIVATE ${CMAKE_SOURCE_DIR}/tests)
  target_compile_options(${layer}_test PRIVATE ${TFMODEL_WARNINGS})
  target_compile_definitions(${layer}_test PRIVATE TFMODEL_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  gtest_discover_tests(${layer}_test DISCOVERY_MODE PRE_TEST PROPERTIES LABELS unit)
endfunction()
