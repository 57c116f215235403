#include "serving/json_util.h"

#include <cstdint>
#include <vector>

#include "absl/strings/escaping.h"
#include "core/float_format.h"
#include "rapidjson/encodedstream.h"
#include "rapidjson/error/en.h"
#include "rapidjson/memorystream.h"
#include "serving/echo_text.h"

namespace tfmodel::serving {
namespace {

constexpr char kSignatureKey[] = "signature_name";

// Output stream that keeps only its first `cap` bytes and notes that more came.
struct CappedStream {
  using Ch = char;
  explicit CappedStream(size_t cap) : cap(cap) {}
  void Put(char c) {
    if (s.size() < cap) {
      s.push_back(c);
    } else {
      full = true;
    }
  }
  void Flush() {}
  size_t cap;
  bool full = false;
  std::string s;
};
using EchoWriter = rapidjson::PrettyWriter<CappedStream>;

template <typename Writer>
bool WriteFloatTo(Writer* w, float v) {
  char buf[kFormatBufferSize];
  return w->RawValue(buf, FormatFloatTo(v, buf), rapidjson::kNumberType);
}
template <typename Writer>
bool WriteDoubleTo(Writer* w, double v) {
  char buf[kFormatBufferSize];
  return w->RawValue(buf, FormatDoubleTo(v, buf), rapidjson::kNumberType);
}

// Writes a scalar, or opens a container and pushes it; the same writer calls as
// GenericValue::Accept makes.
struct Frame {
  const rapidjson::Value* v;
  rapidjson::SizeType next;
};
bool Emit(const rapidjson::Value& v, EchoWriter* w, std::vector<Frame>* stack) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      return w->Null();
    case rapidjson::kFalseType:
      return w->Bool(false);
    case rapidjson::kTrueType:
      return w->Bool(true);
    case rapidjson::kStringType:
      return w->String(v.GetString(), v.GetStringLength());
    case rapidjson::kObjectType:
      stack->push_back({&v, 0});
      return w->StartObject();
    case rapidjson::kArrayType:
      stack->push_back({&v, 0});
      return w->StartArray();
    case rapidjson::kNumberType:
      if (v.IsDouble()) return w->Double(v.GetDouble());
      if (v.IsInt()) return w->Int(v.GetInt());
      if (v.IsUint()) return w->Uint(v.GetUint());
      if (v.IsInt64()) return w->Int64(v.GetInt64());
      return w->Uint64(v.GetUint64());
  }
  return false;
}

}  // namespace

bool WriteFloat(JsonWriter* w, float v) { return WriteFloatTo(w, v); }
bool WriteDouble(JsonWriter* w, double v) { return WriteDoubleTo(w, v); }

const char* JsonTypeName(const rapidjson::Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      return "Null";
    case rapidjson::kFalseType:
      return "False";
    case rapidjson::kTrueType:
      return "True";
    case rapidjson::kObjectType:
      return "Object";
    case rapidjson::kArrayType:
      return "Array";
    case rapidjson::kStringType:
      return "String";
    case rapidjson::kNumberType:
      return "Number";
  }
  return "Unknown";
}

std::string JsonText(const rapidjson::Value& root) {
  // A few bytes past the limit, so that EchoText sees where a character is cut.
  CappedStream out(kMaxEchoBytes + 4);
  EchoWriter w(out);
  if (root.IsFloat()) {
    WriteFloatTo(&w, root.GetFloat());
  } else if (root.IsDouble()) {
    WriteDoubleTo(&w, root.GetDouble());
  } else {
    // Depth-first with an explicit stack; stops once the text is long enough (or when the
    // writer refuses a value, e.g. a non-finite double, as Accept would).
    std::vector<Frame> stack;
    bool ok = Emit(root, &w, &stack);
    while (ok && !stack.empty() && !out.full) {
      Frame& f = stack.back();
      const rapidjson::Value& c = *f.v;
      if (c.IsArray()) {
        if (f.next == c.Size()) {
          ok = w.EndArray(c.Size());
          stack.pop_back();
        } else {
          ok = Emit(c[f.next++], &w, &stack);
        }
      } else if (f.next == c.MemberCount()) {
        ok = w.EndObject(c.MemberCount());
        stack.pop_back();
      } else {
        const auto m = c.MemberBegin() + f.next++;
        ok = w.Key(m->name.GetString(), m->name.GetStringLength()) && Emit(m->value, &w, &stack);
      }
    }
  }
  return EchoText(out.s);
}

absl::Status TypeError(const rapidjson::Value& v, DType dtype) {
  return absl::InvalidArgumentError(absl::StrCat("JSON Value: ", JsonText(v),
                                                 " Type: ", JsonTypeName(v),
                                                 " is not of expected type: ", DTypeName(dtype)));
}

bool IsB64Object(const rapidjson::Value& v) {
  if (!v.IsObject() || v.MemberCount() != 1) return false;
  auto it = v.FindMember(kB64Key);
  return it != v.MemberEnd() && it->value.IsString();
}

absl::Status DecodeB64Object(const rapidjson::Value& v, std::string* out) {
  if (!IsB64Object(v)) {
    return FormatError(v, "not formatted correctly for base64 data");
  }
  const auto& s = v.FindMember(kB64Key)->value;
  if (!absl::Base64Unescape(absl::string_view(s.GetString(), s.GetStringLength()), out)) {
    return absl::InvalidArgumentError("Unable to base64 decode");
  }
  return absl::OkStatus();
}

absl::Status ParseJson(absl::string_view json, JsonDocument* doc) {
  if (json.empty()) return absl::InvalidArgumentError("JSON Parse error: The document is empty");
  rapidjson::MemoryStream ms(json.data(), json.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> in(ms);
  constexpr unsigned kFlags = rapidjson::kParseNanAndInfFlag | rapidjson::kParseIterativeFlag;
  if (doc->ParseStream<kFlags>(in).HasParseError()) {
    return absl::InvalidArgumentError(
        absl::StrCat("JSON Parse error: ", rapidjson::GetParseError_En(doc->GetParseError()),
                     " at offset: ", doc->GetErrorOffset()));
  }
  if (!doc->IsObject()) return FormatError(*doc, "Is not object");
  return absl::OkStatus();
}

absl::Status ReadSignatureName(const JsonDocument& doc, std::string* name) {
  auto it = doc.FindMember(kSignatureKey);
  if (it == doc.MemberEnd()) return absl::OkStatus();
  if (!it->value.IsString()) {
    return FormatError(doc,
                       "not formatted correctly. 'signature_name' key must be a string "
                       "value.");
  }
  name->assign(it->value.GetString(), it->value.GetStringLength());
  return absl::OkStatus();
}

}  // namespace tfmodel::serving
