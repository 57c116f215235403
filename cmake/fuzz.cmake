# One libFuzzer binary per src/<layer>/**/<name>_fuzz.cc, linked against the library of its
# layer (and so everything below it), so targets for the lower layers build without the
# upper ones. Built only with -DTFMODEL_FUZZ=ON; the `fuzzers` target builds them all.
# scripts/fuzz.sh configures (build-fuzz/), builds and runs them.
file(GLOB_RECURSE fuzz_srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/*_fuzz.cc)
add_custom_target(fuzzers)
foreach(src ${fuzz_srcs})
  get_filename_component(name ${src} NAME_WE)
  file(RELATIVE_PATH rel ${CMAKE_SOURCE_DIR}/src ${src})
  string(REGEX REPLACE "/.*" "" layer ${rel})
  add_executable(${name} ${src})
  target_link_libraries(${name} PRIVATE tfmodel_${layer})
  target_compile_options(${name} PRIVATE ${TFMODEL_WARNINGS})
  target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  add_dependencies(fuzzers ${name})
endforeach()
