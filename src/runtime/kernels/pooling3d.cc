// MaxPool3D and AvgPool3D: ksize and strides of 5 (1 in the batch and channel dims),
// SAME or VALID padding, NDHWC (default) or NCDHW. As in TF, AvgPool3D divides by the
// number of input elements inside the window (padding is not counted). float and double;
// half and bfloat16 compute in float.
#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "runtime/kernel.h"
#include "runtime/kernels/arity.h"
#include "runtime/kernels/nn_util.h"

namespace tfmodel::runtime {
namespace {

using nn::ShapeStr;

struct Pool3DSpec {
  bool ncdhw = false, is_max = true;
  nn::Padding padding = nn::Padding::kValid;
  int64_t k[3] = {1, 1, 1}, s[3] = {1, 1, 1};
  int sp(int i) const { return ncdhw ? 2 + i : 1 + i; }
  int ch() const { return ncdhw ? 1 : 4; }
};

template <typename T>
void Pool3D(const Pool3DSpec& p, const T* in, T* out, int64_t n, int64_t c, const int64_t* id,
            const nn::Window* w) {
  // Element strides of both layouts.
  auto strides = [&](const int64_t* d, int64_t* st) {  // st: n, c, z, y, x
    if (p.ncdhw) {
      st[4] = 1, st[3] = d[2], st[2] = d[1] * d[2], st[1] = d[0] * d[1] * d[2];
      st[0] = c * st[1];
    } else {
      st[1] = 1, st[4] = c, st[3] = d[2] * c, st[2] = d[1] * d[2] * c;
      st[0] = d[0] * st[2];
    }
  };
  const int64_t od[3] = {w[0].out, w[1].out, w[2].out};
  int64_t is[5], os[5];
  strides(id, is);
  strides(od, os);
  for (int64_t b = 0; b < n; ++b)
    for (int64_t z = 0; z < od[0]; ++z)
      for (int64_t y = 0; y < od[1]; ++y)
        for (int64_t x = 0; x < od[2]; ++x) {
          const int64_t lo[3] = {z * p.s[0] - w[0].pad_before, y * p.s[1] - w[1].pad_before,
                                 x * p.s[2] - w[2].pad_before};
          int64_t a[3], e[3];
          for (int i = 0; i < 3; ++i) {
            a[i] = std::max<int64_t>(lo[i], 0);
            e[i] = std::min<int64_t>(lo[i] + p.k[i], id[i]);
          }
          const int64_t count = std::max<int64_t>(0, e[0] - a[0]) *
                                std::max<int64_t>(0, e[1] - a[1]) *
                                std::max<int64_t>(0, e[2] - a[2]);
          for (int64_t ch = 0; ch < c; ++ch) {
            T acc = p.is_max ? std::numeric_limits<T>::lowest() : T(0);
            for (int64_t zz = a[0]; zz < e[0]; ++zz)
              for (int64_t yy = a[1]; yy < e[1]; ++yy)
                for (int64_t xx = a[2]; xx < e[2]; ++xx) {
                  const T v = in[b * is[0] + ch * is[1] + zz * is[2] + yy * is[3] + xx * is[4]];
                  acc = p.is_max ? std::max(acc, v) : acc + v;
                }
            if (!p.is_max) acc = count > 0 ? acc / static_cast<T>(count) : T(0);
            out[b * os[0] + ch * os[1] + z * os[2] + y * os[3] + x * os[4]] = acc;
          }
        }
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakePool3D(const KernelInit& init) {
  Pool3DSpec p;
  p.is_max = init.op() == "MaxPool3D";
  std::string fmt = "NDHWC";
  TFM_RETURN_IF_ERROR(init.GetAttrOr("data_format", &fmt));
  if (fmt != "NDHWC" && fmt != "NCDHW")
    return init.Error(absl::StrCat("Invalid data format ", fmt));
  p.ncdhw = fmt == "NCDHW";
  TFM_RETURN_IF_ERROR(nn::GetPadding(init, /*allow_explicit=*/false, &p.padding));
  std::vector<int64_t> ksize, strides;
  TFM_RETURN_IF_ERROR(init.GetAttr("ksize", &ksize));
  TFM_RETURN_IF_ERROR(init.GetAttr("strides", &strides));
  if (ksize.size() != 5 || strides.size() != 5) {
    return init.Error("Sliding window ksize and strides fields must specify 5 dimensions");
  }
  if (ksize[0] != 1 || strides[0] != 1 || ksize[p.ch()] != 1 || strides[p.ch()] != 1) {
    return init.Error("Pooling is not yet supported on the batch nor channel dimension.");
  }
  for (int i = 0; i < 3; ++i) {
    p.k[i] = ksize[p.sp(i)];
    p.s[i] = strides[p.sp(i)];
    if (p.k[i] <= 0 || p.s[i] <= 0)
      return init.Error("Sliding window ksize and strides must be positive");
  }
  return MakeKernel([p](KernelContext* ctx) -> absl::Status {
    const Tensor& in0 = ctx->input(0);
    if (in0.rank() != 5) {
      return ctx->Error(absl::StrCat("tensor_in must be 5-dimensional, got ", ShapeStr(in0)));
    }
    const DType dt = in0.dtype();
    if (dt != DType::kFloat && dt != DType::kDouble && !nn::IsHalfLike(dt)) {
      return ctx->Error(absl::StrCat("unsupported dtype ", DTypeName(dt)));
    }
    const int64_t id[3] = {in0.dim(p.sp(0)), in0.dim(p.sp(1)), in0.dim(p.sp(2))};
    nn::Window w[3];
    for (int i = 0; i < 3; ++i) {
      absl::Status st = nn::ComputeWindow(id[i], p.k[i], 1, p.s[i], p.padding, 0, 0, &w[i]);
      if (!st.ok()) return ctx->Error(st.message());
    }
    std::vector<int64_t> od(5);
    od[0] = in0.dim(0);
    od[p.ch()] = in0.dim(p.ch());
    for (int i = 0; i < 3; ++i) od[p.sp(i)] = w[i].out;
    const Tensor in = nn::IsHalfLike(dt) ? nn::ToFloat(in0) : in0;
    Tensor out = Tensor::Empty(in.dtype(), TensorShape(od));
    if (in.dtype() == DType::kDouble) {
      Pool3D<double>(p, in.data<double>(), out.data<double>(), od[0], od[p.ch()], id, w);
    } else {
      Pool3D<float>(p, in.data<float>(), out.data<float>(), od[0], od[p.ch()], id, w);
    }
    ctx->set_output(0, nn::IsHalfLike(dt) ? nn::FromFloat(out, dt) : out);
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterPool3DKernels(KernelRegistry& r) {
  r.Register("MaxPool3D", WithInputs(1, MakePool3D));
  r.Register("AvgPool3D", WithInputs(1, MakePool3D));
}

}  // namespace tfmodel::runtime
