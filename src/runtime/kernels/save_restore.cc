// Checkpoint ops used by saver graphs: RestoreV2 / Restore / RestoreSlice read through
// format::CheckpointReader; SaveV2 writes a tensor bundle with CheckpointWriter;
// MergeV2Checkpoints combines the per-shard bundles SaveV2 wrote into the final prefix.
#include <filesystem>

#include "core/file_util.h"
#include "format/checkpoint.h"
#include "runtime/kernel.h"

namespace tfmodel::runtime {
namespace {

using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;

absl::StatusOr<std::string> StringScalar(KernelContext* ctx, int i, const char* what) {
  const Tensor& t = ctx->input(i);
  if (t.dtype() != DType::kString || t.NumElements() != 1) {
    return ctx->Error(absl::StrCat(what, " must be a string scalar, got ", DTypeName(t.dtype()),
                                   " ", t.shape().ToString()));
  }
  return t.flat<std::string>()[0];
}

absl::Status StringVector(KernelContext* ctx, int i, const char* what, int64_t want) {
  const Tensor& t = ctx->input(i);
  if (t.dtype() != DType::kString || (want >= 0 && t.NumElements() != want)) {
    return ctx->Error(absl::StrCat(what, " must be ",
                                   want >= 0 ? absl::StrCat(want, " strings") : "strings", ", got ",
                                   DTypeName(t.dtype()), " ", t.shape().ToString()));
  }
  return absl::OkStatus();
}

absl::StatusOr<Tensor> ReadOne(KernelContext* ctx, const CheckpointReader& reader,
                               const std::string& name, const std::string& slice, DType want) {
  auto t = slice.empty() ? reader.Read(name) : reader.ReadSlice(name, slice);
  if (!t.ok()) return ctx->Error(t.status().message());
  if (want != DType::kInvalid && t->dtype() != want) {
    return ctx->Error(absl::StrCat("tensor '", name, "' in checkpoint '", reader.prefix(),
                                   "' has dtype ", DTypeName(t->dtype()), " but ", DTypeName(want),
                                   " was requested"));
  }
  return t;
}

Result MakeRestoreV2(const KernelInit& init) {
  std::vector<DType> dtypes;
  TFM_RETURN_IF_ERROR(init.GetAttr("dtypes", &dtypes));
  return MakeKernel([dtypes](KernelContext* ctx) -> absl::Status {
    TFM_ASSIGN_OR_RETURN(std::string prefix, StringScalar(ctx, 0, "prefix"));
    int64_t n = static_cast<int64_t>(dtypes.size());
    TFM_RETURN_IF_ERROR(StringVector(ctx, 1, "tensor_names", n));
    TFM_RETURN_IF_ERROR(StringVector(ctx, 2, "shape_and_slices", n));
    auto reader = CheckpointReader::Open(prefix);
    if (!reader.ok()) return ctx->Error(reader.status().message());
    auto names = ctx->input(1).flat<std::string>();
    auto slices = ctx->input(2).flat<std::string>();
    for (int64_t i = 0; i < n; ++i) {
      TFM_ASSIGN_OR_RETURN(Tensor t, ReadOne(ctx, **reader, names[i], slices[i], dtypes[i]));
      ctx->set_output(static_cast<int>(i), std::move(t));
    }
    return absl::OkStatus();
  });
}

// Restore (V1 Saver) and RestoreSlice: one tensor from a file pattern.
Result MakeRestore(const KernelInit& init) {
  DType dt = DType::kInvalid;
  TFM_RETURN_IF_ERROR(init.GetAttr("dt", &dt));
  bool sliced = init.op() == "RestoreSlice";
  return MakeKernel([dt, sliced](KernelContext* ctx) -> absl::Status {
    TFM_ASSIGN_OR_RETURN(std::string pattern, StringScalar(ctx, 0, "file_pattern"));
    TFM_ASSIGN_OR_RETURN(std::string name, StringScalar(ctx, 1, "tensor_name"));
    std::string slice;
    if (sliced) {
      TFM_ASSIGN_OR_RETURN(slice, StringScalar(ctx, 2, "shape_and_slice"));
    }
    auto reader = CheckpointReader::Open(pattern);
    if (!reader.ok()) return ctx->Error(reader.status().message());
    TFM_ASSIGN_OR_RETURN(Tensor t, ReadOne(ctx, **reader, name, slice, dt));
    ctx->set_output(0, std::move(t));
    return absl::OkStatus();
  });
}

Result MakeSaveV2(const KernelInit& init) {
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    TFM_ASSIGN_OR_RETURN(std::string prefix, StringScalar(ctx, 0, "prefix"));
    int64_t n = ctx->num_inputs() - 3;
    TFM_RETURN_IF_ERROR(StringVector(ctx, 1, "tensor_names", n));
    TFM_RETURN_IF_ERROR(StringVector(ctx, 2, "shape_and_slices", n));
    auto names = ctx->input(1).flat<std::string>();
    auto slices = ctx->input(2).flat<std::string>();
    std::error_code ec;
    std::filesystem::path dir = std::filesystem::path(prefix).parent_path();
    if (!dir.empty()) std::filesystem::create_directories(dir, ec);
    CheckpointWriter writer(prefix);
    for (int64_t i = 0; i < n; ++i) {
      const Tensor& t = ctx->input(static_cast<int>(3 + i));
      absl::Status s =
          slices[i].empty() ? writer.Add(names[i], t) : writer.AddSlice(names[i], slices[i], t);
      if (!s.ok()) return ctx->Error(s.message());
    }
    absl::Status s = writer.Finish();
    if (!s.ok()) return ctx->Error(s.message());
    return absl::OkStatus();
  });
}

Result MakeMergeV2Checkpoints(const KernelInit& init) {
  bool delete_old_dirs = true;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("delete_old_dirs", &delete_old_dirs));
  return MakeKernel([delete_old_dirs](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(StringVector(ctx, 0, "checkpoint_prefixes", -1));
    TFM_ASSIGN_OR_RETURN(std::string dest, StringScalar(ctx, 1, "destination_prefix"));
    auto prefixes = ctx->input(0).flat<std::string>();
    CheckpointWriter writer(dest);
    std::vector<std::string> sources;
    for (const auto& p : prefixes) {
      auto reader = CheckpointReader::Open(p);
      if (!reader.ok()) return ctx->Error(reader.status().message());
      for (const auto& e : (*reader)->entries()) {
        if (e.sliced) {
          return ctx->Error(absl::StrCat("merging sliced tensor '", e.name, "' is not supported"));
        }
        auto t = (*reader)->Read(e.name);
        if (!t.ok()) return ctx->Error(t.status().message());
        // Materialise: the reader's memory map goes away with it.
        absl::Status s = writer.Add(e.name, t->DeepCopy());
        if (!s.ok()) return ctx->Error(s.message());
      }
      sources.push_back(p);
    }
    absl::Status s = writer.Finish();
    if (!s.ok()) return ctx->Error(s.message());
    std::error_code ec;
    for (const auto& p : sources) {
      if (p == dest) continue;
      std::filesystem::path base(p);
      std::filesystem::path dir = base.parent_path();
      for (const auto& e : std::filesystem::directory_iterator(dir.empty() ? "." : dir, ec)) {
        std::string fname = e.path().filename().string();
        std::string stem = base.filename().string();
        if (fname == stem + ".index" || fname.rfind(stem + ".data-", 0) == 0) {
          std::filesystem::remove(e.path(), ec);
        }
      }
      if (delete_old_dirs && !dir.empty() && std::filesystem::is_empty(dir, ec)) {
        std::filesystem::remove(dir, ec);
      }
    }
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterSaveRestoreKernels(KernelRegistry& r) {
  r.Register("RestoreV2", MakeRestoreV2);
  r.Register("Restore", MakeRestore);
  r.Register("RestoreSlice", MakeRestore);
  r.Register("SaveV2", MakeSaveV2);
  r.Register("MergeV2Checkpoints", MakeMergeV2Checkpoints);
}

}  // namespace tfmodel::runtime
