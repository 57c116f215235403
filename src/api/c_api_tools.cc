// C API: freeze, export and convert with the CLI's flags as name/value pairs
// (include/tfmodel/c_api.h).
#include <algorithm>
#include <cstring>
#include <functional>
#include <map>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/c_api_internal.h"
#include "core/flag_values.h"
#include "graph/export_job.h"
#include "graph/freeze_job.h"
#include "tflite/convert_job.h"

namespace tfmodel::api {
namespace {

// One name/value pair; `first` is false when the same name came earlier in the call.
struct FlagArg {
  std::string name;
  std::string value;
  bool first = true;
};

// Sets one flag of a job of type J from its text value.
template <typename J>
using Setter = std::function<absl::Status(J&, const FlagArg&)>;
template <typename J>
using FlagTable = std::map<std::string, Setter<J>>;

template <typename J>
Setter<J> Text(std::string J::*field) {
  return [field](J& j, const FlagArg& a) {
    j.*field = a.value;
    return absl::OkStatus();
  };
}

// A string field inside a nested options struct.
template <typename J, typename O>
Setter<J> Text(O J::*opts, std::string O::*field) {
  return [opts, field](J& j, const FlagArg& a) {
    j.*opts.*field = a.value;
    return absl::OkStatus();
  };
}

absl::Status BadValue(const FlagArg& a, const char* want) {
  return absl::InvalidArgumentError(
      absl::StrCat("flag '", a.name, "' takes ", want, ", not '", a.value, "'"));
}

absl::Status SetBool(bool* out, const FlagArg& a) {
  return ParseBool(a.value, out) ? absl::OkStatus() : BadValue(a, "true or false");
}

absl::Status SetInt(int64_t* out, const FlagArg& a) {
  return absl::SimpleAtoi(a.value, out) ? absl::OkStatus() : BadValue(a, "an integer");
}

template <typename J>
Setter<J> Bool(bool J::*field) {
  return [field](J& j, const FlagArg& a) { return SetBool(&(j.*field), a); };
}

template <typename J, typename O>
Setter<J> Bool(O J::*opts, bool O::*field) {
  return [opts, field](J& j, const FlagArg& a) { return SetBool(&(j.*opts.*field), a); };
}

template <typename J>
Setter<J> Int(int64_t J::*field) {
  return [field](J& j, const FlagArg& a) { return SetInt(&(j.*field), a); };
}

// A list field: comma-separated items, appended. With `replace_default`, the first time a
// call gives the flag its items replace the field's default (tags default to "serve").
void SetList(std::vector<std::string>* field, const FlagArg& a, bool replace_default) {
  if (replace_default && a.first) field->clear();
  for (auto& item : SplitList(a.value)) field->push_back(std::move(item));
}

template <typename J>
Setter<J> List(std::vector<std::string> J::*field, bool replace_default = false) {
  return [field, replace_default](J& j, const FlagArg& a) {
    SetList(&(j.*field), a, replace_default);
    return absl::OkStatus();
  };
}

template <typename J, typename O>
Setter<J> List(O J::*opts, std::vector<std::string> O::*field, bool replace_default = false) {
  return [opts, field, replace_default](J& j, const FlagArg& a) {
    SetList(&(j.*opts.*field), a, replace_default);
    return absl::OkStatus();
  };
}

template <typename J>
Setter<J> Ignored() {
  return [](J&, const FlagArg&) { return absl::OkStatus(); };
}

// Applies the pairs to a fresh job through `table`; `required` flags must be given.
template <typename J>
absl::StatusOr<J> BuildJob(const char* fn, const FlagTable<J>& table,
                           const std::vector<std::string>& required, const char* const* names,
                           const char* const* values, int count) {
  if (count < 0) return absl::InvalidArgumentError(absl::StrCat(fn, ": count is ", count));
  if (count > 0 && (names == nullptr || values == nullptr)) {
    return absl::InvalidArgumentError(absl::StrCat(fn, ": ", count, " flags but NULL arrays"));
  }
  J job;
  std::map<std::string, bool> given;
  for (int i = 0; i < count; ++i) {
    if (names[i] == nullptr || values[i] == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(fn, ": flag ", i, " is NULL"));
    }
    std::string name = names[i];
    if (name.rfind("--", 0) == 0) name = name.substr(2);
    auto it = table.find(name);
    if (it == table.end()) {
      std::vector<std::string> known;
      for (const auto& [k, v] : table) known.push_back(k);
      return absl::InvalidArgumentError(absl::StrCat(
          fn, ": unknown flag '", name, "'; known flags: ", absl::StrJoin(known, ", ")));
    }
    const FlagArg arg{name, values[i], !given.count(name)};
    if (auto s = it->second(job, arg); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(fn, ": ", s.message()));
    }
    given[name] = true;
  }
  for (const auto& r : required) {
    if (!given.count(r)) {
      return absl::InvalidArgumentError(absl::StrCat(fn, ": flag '", r, "' is required"));
    }
  }
  return job;
}

const FlagTable<FreezeJob>& FreezeFlags() {
  using J = FreezeJob;
  static const auto* t = new FlagTable<J>{
      {"input_graph", Text(&J::input_graph)},
      {"input_meta_graph", Text(&J::input_meta_graph)},
      {"input_checkpoint", Text(&J::input_checkpoint)},
      {"input_saved_model_dir", Text(&J::input_saved_model_dir)},
      {"saved_model_tags", List(&J::saved_model_tags, true)},
      {"signature_def", Text(&J::signature_def)},
      {"output_node_names", List(&J::options, &FreezeOptions::output_nodes)},
      {"output_graph", Text(&J::output_graph)},
      {"as_text", Bool(&J::as_text)},
      {"variable_names_whitelist", List(&J::options, &FreezeOptions::variable_whitelist)},
      {"variable_names_allowlist", List(&J::options, &FreezeOptions::variable_whitelist)},
      {"variable_names_blacklist", List(&J::options, &FreezeOptions::variable_blacklist)},
      {"variable_names_denylist", List(&J::options, &FreezeOptions::variable_blacklist)},
      {"clear_devices", Bool(&J::options, &FreezeOptions::clear_devices)},
      {"initializer_nodes", Ignored<J>()},
      {"restore_op_name", Ignored<J>()},
      {"filename_tensor_name", Ignored<J>()},
      {"input_saver", Ignored<J>()},
      {"input_binary", Ignored<J>()},
      {"checkpoint_version", Ignored<J>()},
  };
  return *t;
}

absl::Status AddSignature(ExportJob& j, const FlagArg& a) {
  auto s = ParseSignatureSpec(a.value);
  if (!s.ok()) return s.status();
  j.options.signatures.push_back(*std::move(s));
  return absl::OkStatus();
}

absl::Status AddSignatureFile(ExportJob& j, const FlagArg& a) {
  auto s = ReadSignatureFile(a.value);
  if (!s.ok()) return s.status();
  for (auto& x : *s) j.options.signatures.push_back(std::move(x));
  return absl::OkStatus();
}

const FlagTable<ExportJob>& ExportFlags() {
  using J = ExportJob;
  using O = ExportOptions;
  static const auto* t = new FlagTable<J>{
      {"input_graph", Text(&J::input_graph)},
      {"input_meta_graph", Text(&J::input_meta_graph)},
      {"input_checkpoint", Text(&J::input_checkpoint)},
      {"input_saved_model_dir", Text(&J::input_saved_model_dir)},
      {"saved_model_tags", List(&J::saved_model_tags, true)},
      {"signature", AddSignature},
      {"signatures", AddSignatureFile},
      {"tags", List(&J::options, &O::tags, true)},
      {"export_base", Text(&J::export_base)},
      {"export_dir", Text(&J::export_dir)},
      {"version", Int(&J::version)},
      {"overwrite", Bool(&J::overwrite)},
      {"clear_devices", Bool(&J::options, &O::clear_devices)},
      {"main_op", Text(&J::options, &O::main_op)},
      {"legacy_init_op", Text(&J::options, &O::legacy_init_op)},
      {"assets", List(&J::options, &O::asset_files)},
      {"as_text", Bool(&J::as_text)},
      {"unfreeze_min_bytes",
       [](J& j, const FlagArg& a) { return SetInt(&j.options.unfreeze_min_bytes, a); }},
      {"keep_unused_variables", Bool(&J::options, &O::keep_unused_variables)},
  };
  return *t;
}

const FlagTable<tflite::ConvertJob>& ConvertFlags() {
  using J = tflite::ConvertJob;
  using O = tflite::TfLiteConvertOptions;
  static const auto* t = new FlagTable<J>{
      {"graph_def_file", Text(&J::graph_def_file)},
      {"input_graph", Text(&J::graph_def_file)},
      {"saved_model_dir", Text(&J::saved_model_dir)},
      {"saved_model_signature_key", Text(&J::saved_model_signature_key)},
      {"signature_def", Text(&J::saved_model_signature_key)},
      {"saved_model_tag_set", List(&J::saved_model_tag_set, true)},
      {"input_arrays", List(&J::options, &O::input_arrays)},
      {"output_arrays", List(&J::options, &O::output_arrays)},
      {"input_shapes",
       [](J& j, const FlagArg& a) {
         auto shapes = tflite::ParseInputShapes(a.value);
         if (!shapes.ok()) return shapes.status();
         for (auto& s : *shapes) j.options.input_shapes.push_back(std::move(s));
         return absl::OkStatus();
       }},
      {"output_file", Text(&J::output_file)},
      {"allow_custom_ops", Bool(&J::options, &O::allow_custom_ops)},
      {"quantize_weights", Bool(&J::options, &O::quantize_weights)},
      {"post_training_quantize", Bool(&J::options, &O::quantize_weights)},
  };
  return *t;
}

}  // namespace
}  // namespace tfmodel::api

using tfmodel::api::Guarded;

void TFM_Freeze(const char* const* names, const char* const* values, int count,
                TFM_Status* status) {
  Guarded(status, [&]() -> absl::Status {
    auto job = tfmodel::api::BuildJob("TFM_Freeze", tfmodel::api::FreezeFlags(), {"output_graph"},
                                      names, values, count);
    if (!job.ok()) return job.status();
    return tfmodel::RunFreezeJob(*job).status();
  });
}

size_t TFM_Export(const char* const* names, const char* const* values, int count, char* written_dir,
                  size_t written_dir_size, TFM_Status* status) {
  size_t length = 0;
  if (written_dir != nullptr && written_dir_size > 0) written_dir[0] = '\0';
  Guarded(status, [&]() -> absl::Status {
    auto job =
        tfmodel::api::BuildJob("TFM_Export", tfmodel::api::ExportFlags(), {}, names, values, count);
    if (!job.ok()) return job.status();
    auto result = tfmodel::RunExportJob(*job);
    if (!result.ok()) return result.status();
    length = result->dir.size();
    if (written_dir != nullptr && written_dir_size > 0) {
      const size_t n = std::min(length, written_dir_size - 1);
      std::memcpy(written_dir, result->dir.data(), n);
      written_dir[n] = '\0';
    }
    return absl::OkStatus();
  });
  return length;
}

void TFM_Convert(const char* const* names, const char* const* values, int count,
                 TFM_Status* status) {
  Guarded(status, [&]() -> absl::Status {
    auto job = tfmodel::api::BuildJob("TFM_Convert", tfmodel::api::ConvertFlags(), {"output_file"},
                                      names, values, count);
    if (!job.ok()) return job.status();
    return tfmodel::tflite::RunConvertJob(*job).status();
  });
}
