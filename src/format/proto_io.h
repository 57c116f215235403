// Reading and writing protobuf files in binary or text form, auto-detected, with errors
// that name the file and the message type.
#ifndef TFMODEL_FORMAT_PROTO_IO_H_
#define TFMODEL_FORMAT_PROTO_IO_H_

#include <string>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace tfmodel {

enum class ProtoFormat { kAuto, kBinary, kText };

// kAuto: ".pbtxt"/".txt"/".pbtext" (or a failed binary parse of printable data) means
// text; anything else is tried as binary first, then as text.
absl::Status ReadProtoFile(const std::string& path, google::protobuf::Message* msg,
                           ProtoFormat format = ProtoFormat::kAuto);
absl::Status ParseProtoFromString(const std::string& data, const std::string& what,
                                  google::protobuf::Message* msg,
                                  ProtoFormat format = ProtoFormat::kAuto);
// Binary output is deterministic (map entries sorted), as TF writes it.
absl::Status WriteProtoFile(const std::string& path, const google::protobuf::Message& msg,
                            ProtoFormat format = ProtoFormat::kBinary);
std::string SerializeDeterministic(const google::protobuf::Message& msg);

// Walks the message tree; returns the paths of unknown fields ("meta_graphs[0].graph_def.node[3]:
// field 7").
std::vector<std::string> FindUnknownFields(const google::protobuf::Message& msg);

}  // namespace tfmodel

#endif  // TFMODEL_FORMAT_PROTO_IO_H_
