# Generates C++ for tfmodel's TFLite FlatBuffers schema (src/format/tflite/schema.fbs) with
# Debian's flatc into the build tree: build/gen_fbs/format/tflite/schema_generated.h.
find_program(FLATC flatc REQUIRED)
set(TFMODEL_FBS_OUT ${CMAKE_BINARY_DIR}/gen_fbs)
set(TFMODEL_TFLITE_SCHEMA ${CMAKE_SOURCE_DIR}/src/format/tflite/schema.fbs)
set(TFMODEL_TFLITE_SCHEMA_H ${TFMODEL_FBS_OUT}/format/tflite/schema_generated.h)
add_custom_command(
  OUTPUT ${TFMODEL_TFLITE_SCHEMA_H}
  COMMAND ${FLATC} --cpp --scoped-enums --gen-object-api --gen-name-strings
          -o ${TFMODEL_FBS_OUT}/format/tflite ${TFMODEL_TFLITE_SCHEMA}
  DEPENDS ${TFMODEL_TFLITE_SCHEMA}
  COMMENT "flatc ${TFMODEL_TFLITE_SCHEMA}")
add_custom_target(tfmodel_tflite_schema_gen DEPENDS ${TFMODEL_TFLITE_SCHEMA_H})
# Consumers link this; the dependency makes every consumer wait for the generated header.
add_library(tfmodel_tflite_schema INTERFACE)
target_include_directories(tfmodel_tflite_schema SYSTEM INTERFACE ${TFMODEL_FBS_OUT})
add_dependencies(tfmodel_tflite_schema tfmodel_tflite_schema_gen)
# flexbuffers.h (custom operator options) is header-only except for the locale object its
# locale-independent number parsing uses (in libflatbuffers.a, built without -fPIC, which
# libtfmodel.so cannot take in). Options hold numbers as numbers; the rare number stored as
# a string is parsed with plain strtod/strtoll, so no FlatBuffers library is linked.
target_compile_definitions(tfmodel_tflite_schema INTERFACE FLATBUFFERS_LOCALE_INDEPENDENT=0)
