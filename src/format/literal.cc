#include "format/literal.h"

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <variant>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/status.h"

namespace tfmodel {
namespace {

struct Scalar {
  enum Kind { kNumber, kString, kBool } kind = kNumber;
  double number = 0;
  bool is_float = false;
  int64_t integer = 0;
  std::string text;
  bool flag = false;
};

class Parser {
 public:
  explicit Parser(const std::string& s) : s_(s) {}

  absl::Status Parse(std::vector<int64_t>* dims, std::vector<Scalar>* values) {
    TFM_RETURN_IF_ERROR(Value(0, dims, values));
    Skip();
    if (p_ != s_.size()) return Err("unexpected trailing text");
    return absl::OkStatus();
  }

 private:
  absl::Status Err(const std::string& msg) const {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot parse literal '", s_, "' at offset ", p_, ": ", msg));
  }
  void Skip() {
    while (p_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[p_]))) ++p_;
  }

  absl::Status Value(size_t depth, std::vector<int64_t>* dims, std::vector<Scalar>* values) {
    Skip();
    if (p_ >= s_.size()) return Err("unexpected end");
    if (depth > 32) return Err("nested too deeply");
    if (s_[p_] == '[' || s_[p_] == '(') {
      char close = s_[p_] == '[' ? ']' : ')';
      ++p_;
      int64_t count = 0;
      Skip();
      if (p_ < s_.size() && s_[p_] == close) {
        ++p_;
        return SetDim(depth, 0, dims);
      }
      while (true) {
        TFM_RETURN_IF_ERROR(Value(depth + 1, dims, values));
        ++count;
        Skip();
        if (p_ < s_.size() && s_[p_] == ',') {
          ++p_;
          Skip();
          if (p_ < s_.size() && s_[p_] == close) {  // trailing comma
            ++p_;
            break;
          }
          continue;
        }
        if (p_ < s_.size() && s_[p_] == close) {
          ++p_;
          break;
        }
        return Err("expected ',' or closing bracket");
      }
      return SetDim(depth, count, dims);
    }
    if (dims->size() > depth && !leaf_depth_set_) {
      // fine: first scalar fixes the rank
    }
    if (leaf_depth_set_ && depth != leaf_depth_)
      return Err("ragged nesting (rows of different depth)");
    leaf_depth_set_ = true;
    leaf_depth_ = depth;
    Scalar v;
    TFM_RETURN_IF_ERROR(ScalarValue(&v));
    values->push_back(std::move(v));
    return absl::OkStatus();
  }

  absl::Status SetDim(size_t depth, int64_t count, std::vector<int64_t>* dims) {
    if (dims->size() <= depth) {
      dims->resize(depth + 1, -1);
    }
    if ((*dims)[depth] == -1) {
      (*dims)[depth] = count;
    } else if ((*dims)[depth] != count) {
      return Err(absl::StrCat("ragged rows: dimension ", depth, " has lengths ", (*dims)[depth],
                              " and ", count));
    }
    return absl::OkStatus();
  }

  absl::Status ScalarValue(Scalar* v) {
    char c = s_[p_];
    if (c == '\'' || c == '"') {
      size_t end = s_.find(c, p_ + 1);
      if (end == std::string::npos) return Err("unterminated string");
      v->kind = Scalar::kString;
      v->text = s_.substr(p_ + 1, end - p_ - 1);
      p_ = end + 1;
      return absl::OkStatus();
    }
    size_t start = p_;
    while (p_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[p_])) || s_[p_] == '.' ||
                              s_[p_] == '-' || s_[p_] == '+' || s_[p_] == '_')) {
      ++p_;
    }
    std::string tok = s_.substr(start, p_ - start);
    if (tok.empty()) return Err("expected a value");
    std::string lower = absl::AsciiStrToLower(tok);
    if (lower == "true" || lower == "false") {
      v->kind = Scalar::kBool;
      v->flag = lower == "true";
      return absl::OkStatus();
    }
    if (lower == "nan" || lower == "inf" || lower == "-inf" || lower == "infinity" ||
        lower == "-infinity") {
      v->is_float = true;
      v->number = lower == "nan" ? std::numeric_limits<double>::quiet_NaN()
                                 : (lower[0] == '-' ? -INFINITY : INFINITY);
      return absl::OkStatus();
    }
    char* end = nullptr;
    errno = 0;
    long long i = std::strtoll(tok.c_str(), &end, 10);
    if (end && *end == '\0' && errno == 0) {
      v->integer = i;
      v->number = static_cast<double>(i);
      return absl::OkStatus();
    }
    double d = std::strtod(tok.c_str(), &end);
    if (!end || *end != '\0')
      return Err(absl::StrCat("'", tok, "' is not a number, string or bool"));
    v->number = d;
    v->is_float = true;
    return absl::OkStatus();
  }

  const std::string& s_;
  size_t p_ = 0;
  bool leaf_depth_set_ = false;
  size_t leaf_depth_ = 0;
};

template <typename T>
absl::Status FillNumbers(const std::vector<Scalar>& values, Tensor* t) {
  T* d = t->data<T>();
  for (size_t i = 0; i < values.size(); ++i) {
    const Scalar& v = values[i];
    if (v.kind == Scalar::kString) {
      return absl::InvalidArgumentError(absl::StrCat(
          "literal value '", v.text, "' is a string, expected ", DTypeName(t->dtype())));
    }
    if (v.kind == Scalar::kBool) {
      d[i] = static_cast<T>(v.flag);
    } else if constexpr (std::is_floating_point_v<T>) {
      d[i] = static_cast<T>(v.is_float ? v.number : static_cast<double>(v.integer));
    } else {
      if (v.is_float) {
        return absl::InvalidArgumentError(absl::StrCat("literal value ", v.number,
                                                       " is not an integer (",
                                                       DTypeName(t->dtype()), " expected)"));
      }
      if (v.integer < static_cast<long double>(std::numeric_limits<T>::lowest()) ||
          v.integer > static_cast<long double>(std::numeric_limits<T>::max())) {
        return absl::InvalidArgumentError(absl::StrCat(
            "literal value ", v.integer, " is out of range for ", DTypeName(t->dtype())));
      }
      d[i] = static_cast<T>(v.integer);
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Tensor> ParseTensorLiteral(const std::string& text, DType dtype) {
  std::vector<int64_t> dims;
  std::vector<Scalar> values;
  Parser p(text);
  TFM_RETURN_IF_ERROR(p.Parse(&dims, &values));
  for (auto& d : dims) {
    if (d < 0) d = 0;
  }
  TensorShape shape(dims);
  if (shape.NumElements() != static_cast<int64_t>(values.size())) {
    return absl::InvalidArgumentError(absl::StrCat("literal '", text, "' is ragged"));
  }
  if (dtype == DType::kInvalid) {
    dtype = DType::kInt64;
    bool any_string = false, all_bool = !values.empty();
    for (const auto& v : values) {
      if (v.kind == Scalar::kString) any_string = true;
      if (v.kind != Scalar::kBool) all_bool = false;
      if (v.kind == Scalar::kNumber && v.is_float) dtype = DType::kFloat;
    }
    if (any_string) dtype = DType::kString;
    if (all_bool) dtype = DType::kBool;
  }
  TFM_ASSIGN_OR_RETURN(Tensor t, Tensor::Create(dtype, shape));
  if (dtype == DType::kString) {
    for (size_t i = 0; i < values.size(); ++i) {
      if (values[i].kind != Scalar::kString) {
        return absl::InvalidArgumentError(
            absl::StrCat("literal '", text, "': expected strings for a string input"));
      }
      t.data<std::string>()[i] = values[i].text;
    }
    return t;
  }
  absl::Status s = absl::OkStatus();
  bool handled = DispatchNumeric(dtype, [&]<typename T>() { s = FillNumbers<T>(values, &t); });
  if (!handled && dtype == DType::kHalf) {
    Tensor f(DType::kFloat, shape);
    TFM_RETURN_IF_ERROR(FillNumbers<float>(values, &f));
    for (int64_t i = 0; i < f.NumElements(); ++i)
      t.data<Half>()[i] = Half::FromFloat(f.data<float>()[i]);
    return t;
  }
  if (!handled) {
    return absl::InvalidArgumentError(
        absl::StrCat("literals of dtype ", DTypeName(dtype), " are not supported"));
  }
  TFM_RETURN_IF_ERROR(s);
  return t;
}

}  // namespace tfmodel
