# Generates C++ (and gRPC, for files that declare services) from proto/**.proto.
file(GLOB_RECURSE TFMODEL_PROTO_FILES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/proto/*.proto)
set(TFMODEL_PROTO_OUT ${CMAKE_BINARY_DIR}/gen)
file(MAKE_DIRECTORY ${TFMODEL_PROTO_OUT})
find_program(GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)

set(TFMODEL_PROTO_SRCS)
set(TFMODEL_GRPC_SRCS)
foreach(proto ${TFMODEL_PROTO_FILES})
  file(RELATIVE_PATH rel ${CMAKE_SOURCE_DIR}/proto ${proto})
  string(REGEX REPLACE "\\.proto$" "" base ${rel})
  set(outs ${TFMODEL_PROTO_OUT}/${base}.pb.cc ${TFMODEL_PROTO_OUT}/${base}.pb.h)
  file(STRINGS ${proto} has_service REGEX "^service ")
  if(has_service)
    set(grpc_outs ${TFMODEL_PROTO_OUT}/${base}.grpc.pb.cc ${TFMODEL_PROTO_OUT}/${base}.grpc.pb.h)
    add_custom_command(
      OUTPUT ${outs} ${grpc_outs}
      COMMAND protobuf::protoc --proto_path=${CMAKE_SOURCE_DIR}/proto --cpp_out=${TFMODEL_PROTO_OUT}
              --grpc_out=${TFMODEL_PROTO_OUT} --plugin=protoc-gen-grpc=${GRPC_CPP_PLUGIN} ${proto}
      DEPENDS ${proto} ${TFMODEL_PROTO_FILES}
      COMMENT "protoc (grpc) ${rel}")
    list(APPEND TFMODEL_GRPC_SRCS ${TFMODEL_PROTO_OUT}/${base}.grpc.pb.cc)
  else()
    add_custom_command(
      OUTPUT ${outs}
      COMMAND protobuf::protoc --proto_path=${CMAKE_SOURCE_DIR}/proto --cpp_out=${TFMODEL_PROTO_OUT} ${proto}
      DEPENDS ${proto} ${TFMODEL_PROTO_FILES}
      COMMENT "protoc ${rel}")
  endif()
  list(APPEND TFMODEL_PROTO_SRCS ${TFMODEL_PROTO_OUT}/${base}.pb.cc)
endforeach()

add_library(tfmodel_proto STATIC ${TFMODEL_PROTO_SRCS})
target_include_directories(tfmodel_proto SYSTEM PUBLIC ${TFMODEL_PROTO_OUT})
target_link_libraries(tfmodel_proto PUBLIC protobuf::libprotobuf)
target_compile_options(tfmodel_proto PRIVATE -w)

add_library(tfmodel_proto_grpc STATIC ${TFMODEL_GRPC_SRCS})
target_link_libraries(tfmodel_proto_grpc PUBLIC tfmodel_proto gRPC::grpc++)
target_compile_options(tfmodel_proto_grpc PRIVATE -w)
