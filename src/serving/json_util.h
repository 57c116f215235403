// RapidJSON plumbing shared by the REST JSON converters (json_tensor.cc): parsing a
// request without recursion, writing into a string, and JSON values as bounded text for
// error messages. Internal to serving/.
#ifndef TFMODEL_SERVING_JSON_UTIL_H_
#define TFMODEL_SERVING_JSON_UTIL_H_

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/dtype.h"
#include "rapidjson/document.h"
#include "rapidjson/prettywriter.h"

namespace tfmodel::serving {

inline constexpr char kB64Key[] = "b64";

// Output stream of the JSON writer: appends to a std::string (moved out at the end).
struct JsonStringStream {
  using Ch = char;
  std::string s;
  void Put(char c) { s.push_back(c); }
  void Flush() {}
};
using JsonWriter = rapidjson::PrettyWriter<JsonStringStream, rapidjson::UTF8<>, rapidjson::UTF8<>,
                                           rapidjson::MemoryPoolAllocator<>>;

// A JSON writer into a string whose nesting stack lives in a fixed inline buffer, so
// writing a response allocates only the string itself.
class JsonOut {
 public:
  JsonOut() : alloc_(pool_, sizeof(pool_)), w_(stream_, &alloc_) { stream_.s.reserve(256); }
  JsonWriter& w() { return w_; }
  std::string Take() { return std::move(stream_.s); }

 private:
  alignas(16) char pool_[1024];
  rapidjson::MemoryPoolAllocator<> alloc_;
  JsonStringStream stream_;
  JsonWriter w_;
};

// Decimals as TF Serving writes them (core/float_format.h), without a heap string.
bool WriteFloat(JsonWriter* w, float v);
bool WriteDouble(JsonWriter* w, double v);

// "Null", "False", "True", "Object", "Array", "String" or "Number".
const char* JsonTypeName(const rapidjson::Value& v);

// A JSON value as TF Serving's error messages show it (pretty-printed; a top-level
// decimal formatted like a response value), written without recursion and cut after
// kMaxEchoBytes (serving/echo_text.h), so any request value can be echoed safely.
std::string JsonText(const rapidjson::Value& v);

// InvalidArgument "JSON Value: <v> <args...>".
template <typename... Args>
absl::Status FormatError(const rapidjson::Value& v, const Args&... args) {
  return absl::InvalidArgumentError(absl::StrCat("JSON Value: ", JsonText(v), " ", args...));
}
// InvalidArgument "JSON Value: <v> Type: <type> is not of expected type: <dtype>".
absl::Status TypeError(const rapidjson::Value& v, DType dtype);

// {"b64": "<string>"} and nothing else.
bool IsB64Object(const rapidjson::Value& v);
absl::Status DecodeB64Object(const rapidjson::Value& v, std::string* out);

// A parsed request: DOM values and the parser's working stack both come from fixed
// buffers first (rapidjson's default pool takes 64 KiB chunks from the heap), so a small
// request parses without touching the heap; larger ones spill into heap chunks.
using JsonDocument = rapidjson::GenericDocument<rapidjson::UTF8<>, rapidjson::MemoryPoolAllocator<>,
                                                rapidjson::MemoryPoolAllocator<>>;
class JsonDom {
 public:
  JsonDom()
      : values_(value_pool_, sizeof(value_pool_)),
        stack_(stack_pool_, sizeof(stack_pool_)),
        doc_(&values_, kStackBytes, &stack_) {}
  JsonDocument* doc() { return &doc_; }

 private:
  static constexpr size_t kStackBytes = 1024;
  alignas(16) char value_pool_[16 * 1024];
  alignas(16) char stack_pool_[4 * 1024];
  rapidjson::MemoryPoolAllocator<> values_;
  rapidjson::MemoryPoolAllocator<> stack_;
  JsonDocument doc_;
};

// Parses a request body that must be a JSON object. The parser is RapidJSON's iterative
// one (TF Serving's choice too): nesting depth costs heap, never stack, so any depth a
// body can hold parses, and malformed input is refused without recursion. Memory stays
// proportional to the body, which the HTTP layer bounds (--rest_api_max_body_bytes).
absl::Status ParseJson(absl::string_view json, JsonDocument* doc);

// The optional "signature_name" string member.
absl::Status ReadSignatureName(const JsonDocument& doc, std::string* name);

}  // namespace tfmodel::serving

#endif  // TFMODEL_SERVING_JSON_UTIL_H_
