// Reading and writing protobuf files in binary or text form, auto-detected, with errors
// that name the file and the message type.
#ifndef TFMODEL_FORMAT_PROTO_IO_H_
#define TFMODEL_FORMAT_PROTO_IO_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace tfmodel {

enum class ProtoFormat { kAuto, kBinary, kText };

// kAuto decides by content, never by the file name: printable data (LooksLikeTextFormat)
// is parsed as text first, anything else as binary first; the other encoding is the
// fallback.
absl::Status ReadProtoFile(const std::string& path, google::protobuf::Message* msg,
                           ProtoFormat format = ProtoFormat::kAuto);
absl::Status ParseProtoFromString(const std::string& data, const std::string& what,
                                  google::protobuf::Message* msg,
                                  ProtoFormat format = ProtoFormat::kAuto);
// Whether bytes look like a text-format message rather than binary wire format: non-empty
// and free of control characters other than whitespace (binary messages practically always
// hold small tag or length bytes).
bool LooksLikeTextFormat(absl::string_view data);
// Binary output is deterministic (map entries sorted), as TF writes it.
absl::Status WriteProtoFile(const std::string& path, const google::protobuf::Message& msg,
                            ProtoFormat format = ProtoFormat::kBinary);
std::string SerializeDeterministic(const google::protobuf::Message& msg);

// Walks the message tree; returns the paths of unknown fields ("meta_graphs[0].graph_def.node[3]:
// field 7").
std::vector<std::string> FindUnknownFields(const google::protobuf::Message& msg);

}  // namespace tfmodel

#endif  // TFMODEL_FORMAT_PROTO_IO_H_
