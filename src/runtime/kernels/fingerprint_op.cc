// Fingerprint(data, method): a uint8 [dim0, 8] tensor, one FarmHash Fingerprint64 per
// slice data[i], written little-endian, as TF's FingerprintOp. Numeric slices hash their
// raw bytes. String slices of one string hash that string; slices of several strings
// hash the concatenation of the strings' own 8-byte fingerprints. The only method is
// "farmhash64" (the value is stable across platforms and releases).
#include <cstring>
#include <string>

#include "farmhash.h"
#include "runtime/kernels/arity.h"
#include "runtime/kernels/array_util.h"

namespace tfmodel::runtime {
namespace {

void PutFingerprint(uint64_t f, uint8_t* out) {
  for (int b = 0; b < 8; ++b) out[b] = static_cast<uint8_t>(f >> (8 * b));
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakeFingerprint(const KernelInit& init) {
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    const Tensor& data = ctx->input(0);
    const Tensor& method = ctx->input(1);
    if (method.dtype() != DType::kString || method.rank() != 0) {
      return ctx->Error(absl::StrCat("`method` should be a scalar string: ",
                                     array_util::ShapeStr(method.shape())));
    }
    if (method.scalar<std::string>() != "farmhash64") {
      return ctx->Error(
          absl::StrCat("Unsupported fingerprint method: ", method.scalar<std::string>()));
    }
    if (data.rank() < 1) {
      return ctx->Error(absl::StrCat("`data` should have at least one dimension: ",
                                     array_util::ShapeStr(data.shape())));
    }
    const int64_t dim0 = data.dim(0);
    const int64_t per = dim0 == 0 ? 0 : data.NumElements() / dim0;
    Tensor* out = ctx->allocate_output(0, DType::kUInt8, TensorShape{dim0, 8});
    uint8_t* o = out->data<uint8_t>();
    if (data.dtype() == DType::kString) {
      const std::string* s = data.data<std::string>();
      std::string buf(static_cast<size_t>(per) * 8, '\0');
      for (int64_t i = 0; i < dim0; ++i) {
        if (per == 1) {
          PutFingerprint(util::Fingerprint64(s[i].data(), s[i].size()), o + i * 8);
          continue;
        }
        for (int64_t j = 0; j < per; ++j) {
          const std::string& e = s[i * per + j];
          PutFingerprint(util::Fingerprint64(e.data(), e.size()),
                         reinterpret_cast<uint8_t*>(buf.data()) + j * 8);
        }
        PutFingerprint(util::Fingerprint64(buf.data(), buf.size()), o + i * 8);
      }
      return absl::OkStatus();
    }
    if (!DTypeIsPod(data.dtype()) || data.dtype() == DType::kResource) {
      return array_util::UnsupportedDType(ctx, data.dtype());
    }
    const size_t row = static_cast<size_t>(per) * DTypeSize(data.dtype());
    const char* raw = static_cast<const char*>(data.raw_data());
    for (int64_t i = 0; i < dim0; ++i) {
      PutFingerprint(util::Fingerprint64(raw + i * row, row), o + i * 8);
    }
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterFingerprintKernels(KernelRegistry& r) {
  r.Register("Fingerprint", WithInputs(2, MakeFingerprint));
}

}  // namespace tfmodel::runtime
