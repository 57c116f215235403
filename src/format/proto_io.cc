#include "format/proto_io.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "core/status.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/unknown_field_set.h"

namespace tfmodel {
namespace {

using google::protobuf::Message;

// Output files: the requested name decides the encoding.
bool IsTextOutputPath(const std::string& path) {
  return absl::EndsWith(path, ".pbtxt") || absl::EndsWith(path, ".txt") ||
         absl::EndsWith(path, ".pbtext") || absl::EndsWith(path, ".prototxt");
}

class CollectErrors : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, int column, const std::string& message) override {
    if (first.empty())
      first = absl::StrCat("line ", line + 1, " column ", column + 1, ": ", message);
  }
  std::string first;
};

absl::Status ParseText(const std::string& data, const std::string& what, Message* msg) {
  google::protobuf::TextFormat::Parser parser;
  CollectErrors errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(data, msg)) {
    return absl::InvalidArgumentError(absl::StrCat("Error parsing text-format ", msg->GetTypeName(),
                                                   " from ", what, ": ", errors.first));
  }
  return absl::OkStatus();
}

absl::Status ParseBinary(const std::string& data, const std::string& what, Message* msg) {
  google::protobuf::io::ArrayInputStream raw(data.data(), static_cast<int>(data.size()));
  google::protobuf::io::CodedInputStream in(&raw);
  in.SetTotalBytesLimit(INT32_MAX);
  if (!msg->ParseFromCodedStream(&in) || !in.ConsumedEntireMessage()) {
    return absl::InvalidArgumentError(absl::StrCat("cannot parse ", what, " as binary ",
                                                   msg->GetTypeName(),
                                                   " (truncated or not a protobuf)"));
  }
  return absl::OkStatus();
}

void Walk(const Message& msg, const std::string& path, std::vector<std::string>* out) {
  const auto* refl = msg.GetReflection();
  const auto& unknown = refl->GetUnknownFields(msg);
  for (int i = 0; i < unknown.field_count(); ++i) {
    out->push_back(absl::StrCat(path.empty() ? msg.GetTypeName() : path, ": unknown field ",
                                unknown.field(i).number()));
  }
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  refl->ListFields(msg, &fields);
  for (const auto* f : fields) {
    if (f->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    std::string base = path.empty() ? f->name() : absl::StrCat(path, ".", f->name());
    if (f->is_repeated()) {
      int n = refl->FieldSize(msg, f);
      for (int i = 0; i < n; ++i) {
        Walk(refl->GetRepeatedMessage(msg, f, i), absl::StrCat(base, "[", i, "]"), out);
      }
    } else {
      Walk(refl->GetMessage(msg, f), base, out);
    }
  }
}

}  // namespace

bool LooksLikeTextFormat(absl::string_view data) {
  if (data.empty()) return false;
  for (unsigned char c : data) {
    if (c < 0x09 || (c > 0x0d && c < 0x20) || c == 0x7f) return false;
  }
  return true;
}

absl::Status ParseProtoFromString(const std::string& data, const std::string& what, Message* msg,
                                  ProtoFormat format) {
  msg->Clear();
  if (format == ProtoFormat::kText) return ParseText(data, what, msg);
  if (format == ProtoFormat::kBinary) return ParseBinary(data, what, msg);
  const bool text_first = LooksLikeTextFormat(data);
  if (text_first) {
    absl::Status text = ParseText(data, what, msg);
    if (text.ok()) return text;
    msg->Clear();
    if (ParseBinary(data, what, msg).ok()) return absl::OkStatus();
    return text;
  }
  absl::Status binary = ParseBinary(data, what, msg);
  if (binary.ok()) return binary;
  msg->Clear();
  absl::Status text = ParseText(data, what, msg);
  if (text.ok()) return text;
  return absl::InvalidArgumentError(absl::StrCat("cannot parse ", what, " as ", msg->GetTypeName(),
                                                 " (neither binary nor text format; ",
                                                 "text parser said: ", text.message(), ")"));
}

absl::Status ReadProtoFile(const std::string& path, Message* msg, ProtoFormat format) {
  TFM_ASSIGN_OR_RETURN(std::string data, ReadFileToString(path));
  return ParseProtoFromString(data, path, msg, format);
}

std::string SerializeDeterministic(const Message& msg) {
  std::string out;
  google::protobuf::io::StringOutputStream raw(&out);
  {
    google::protobuf::io::CodedOutputStream coded(&raw);
    coded.SetSerializationDeterministic(true);
    msg.SerializeToCodedStream(&coded);
  }
  return out;
}

absl::Status WriteProtoFile(const std::string& path, const Message& msg, ProtoFormat format) {
  if (format == ProtoFormat::kText || (format == ProtoFormat::kAuto && IsTextOutputPath(path))) {
    std::string text;
    if (!google::protobuf::TextFormat::PrintToString(msg, &text)) {
      return absl::InternalError(absl::StrCat("cannot print ", msg.GetTypeName(), " as text"));
    }
    return WriteStringToFile(path, text);
  }
  return WriteStringToFile(path, SerializeDeterministic(msg));
}

std::vector<std::string> FindUnknownFields(const Message& msg) {
  std::vector<std::string> out;
  Walk(msg, "", &out);
  return out;
}

}  // namespace tfmodel
