// Padding and space/batch/depth rearrangement kernels: Pad, PadV2, MirrorPad,
// SpaceToBatchND, BatchToSpaceND, DepthToSpace, SpaceToDepth (NHWC).
#include "runtime/kernels/array_util.h"
#include "runtime/kernels/register_all.h"

namespace tfmodel::runtime {
namespace {

using array_util::DispatchElem;
using array_util::ShapeStr;

absl::Status NeedInputs(const KernelContext* ctx, int n) {
  if (ctx->num_inputs() < n) {
    return ctx->Error(absl::StrCat("expected ", n, " inputs, got ", ctx->num_inputs()));
  }
  return absl::OkStatus();
}

// Reads an [n, 2] paddings matrix of non-negative values.
absl::StatusOr<std::vector<int64_t>> ReadPaddings(const KernelContext* ctx, const Tensor& p, int n,
                                                  const TensorShape& in_shape,
                                                  absl::string_view what) {
  if (p.rank() != 2 || p.dim(1) != 2) {
    return ctx->Error(
        absl::StrCat(what, " must be a matrix with 2 columns: ", ShapeStr(p.shape())));
  }
  if (p.dim(0) != n) {
    return ctx->Error(absl::StrCat("The first dimension of ", what, " must be the rank of inputs",
                                   ShapeStr(p.shape()), " ", ShapeStr(in_shape)));
  }
  TFM_ASSIGN_OR_RETURN(std::vector<int64_t> v, array_util::ReadInts(ctx, p, what));
  for (int i = 0; i < n; ++i) {
    if (v[2 * i] < 0 || v[2 * i + 1] < 0) {
      return ctx->Error(absl::StrCat(what, " must be non-negative: ", v[2 * i], " ", v[2 * i + 1]));
    }
  }
  return v;
}

// Pads `in` with `value` (a scalar of the same dtype) by pads[2i], pads[2i+1] per dim.
absl::StatusOr<Tensor> PadConstant(const KernelContext* ctx, const Tensor& in,
                                   const std::vector<int64_t>& pads, const Tensor& value) {
  TensorShape out_shape;
  for (int i = 0; i < in.rank(); ++i) {
    const int64_t d = in.dim(i);
    if (pads[2 * i] > kMaxTensorElements - d || pads[2 * i + 1] > kMaxTensorElements - d) {
      return ctx->Error(absl::StrCat("padding of dim ", i, " is too large"));
    }
    out_shape.AddDim(d + pads[2 * i] + pads[2 * i + 1]);
  }
  TFM_RETURN_IF_ERROR(array_util::CheckShape(ctx, out_shape));
  if (out_shape == in.shape()) return in;
  TFM_ASSIGN_OR_RETURN(Tensor out, array_util::FilledLike(ctx, value, out_shape));
  std::vector<int64_t> in_strides = array_util::Strides(in.shape());
  std::vector<int64_t> out_strides = array_util::Strides(out_shape);
  int64_t dst_base = 0;
  for (int i = 0; i < in.rank(); ++i) dst_base += pads[2 * i] * out_strides[i];
  DispatchElem(in.dtype(), [&]<typename T>() {
    array_util::StridedCopy(in.data<T>(), 0, in_strides, out.data<T>(), dst_base, out_strides,
                            in.shape().dim_sizes());
  });
  return out;
}

absl::Status PadCompute(KernelContext* ctx, bool v2) {
  TFM_RETURN_IF_ERROR(NeedInputs(ctx, v2 ? 3 : 2));
  const Tensor& in = ctx->input(0);
  TFM_ASSIGN_OR_RETURN(std::vector<int64_t> pads,
                       ReadPaddings(ctx, ctx->input(1), in.rank(), in.shape(), "paddings"));
  Tensor value;
  if (v2) {
    value = ctx->input(2);
    if (value.NumElements() != 1 || value.rank() > 1) {
      return ctx->Error(
          absl::StrCat("constant_values must be a scalar. Got: ", ShapeStr(value.shape())));
    }
    if (value.dtype() != in.dtype()) {
      return ctx->Error(absl::StrCat("constant_values dtype ", DTypeName(value.dtype()),
                                     " does not match input dtype ", DTypeName(in.dtype())));
    }
  } else {
    if (!DTypeIsPod(in.dtype()) && in.dtype() != DType::kString) {
      return array_util::UnsupportedDType(ctx, in.dtype());
    }
    value = Tensor(in.dtype(), TensorShape{});  // zero / empty string
  }
  TFM_ASSIGN_OR_RETURN(Tensor out, PadConstant(ctx, in, pads, value));
  ctx->set_output(0, std::move(out));
  return absl::OkStatus();
}

// --- MirrorPad -------------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<OpKernel>> MakeMirrorPad(const KernelInit& init) {
  std::string mode;
  TFM_RETURN_IF_ERROR(init.GetAttr("mode", &mode));
  int offset;
  if (mode == "REFLECT") {
    offset = 1;
  } else if (mode == "SYMMETRIC") {
    offset = 0;
  } else {
    return init.Error(absl::StrCat("mode must be REFLECT or SYMMETRIC, got '", mode, "'"));
  }
  return MakeKernel([offset](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedInputs(ctx, 2));
    const Tensor& in = ctx->input(0);
    const int rank = in.rank();
    TFM_ASSIGN_OR_RETURN(std::vector<int64_t> pads,
                         ReadPaddings(ctx, ctx->input(1), rank, in.shape(), "paddings"));
    TensorShape out_shape;
    // Per dim: the source index of every output index.
    std::vector<std::vector<int64_t>> maps(static_cast<size_t>(rank));
    for (int i = 0; i < rank; ++i) {
      const int64_t d = in.dim(i), before = pads[2 * i], after = pads[2 * i + 1];
      if (before > d - offset || after > d - offset) {
        return ctx->Error(absl::StrCat("paddings must be no greater than the dimension size: ",
                                       before, ", ", after, " greater than ", d - offset));
      }
      const int64_t n = d + before + after;
      out_shape.AddDim(n);
      maps[i].resize(static_cast<size_t>(n));
      for (int64_t o = 0; o < n; ++o) {
        int64_t x = o - before;
        if (x < 0)
          x = -x - 1 + offset;
        else if (x >= d)
          x = 2 * d - 1 - offset - x;
        maps[i][o] = x;
      }
    }
    Tensor out = Tensor::Empty(in.dtype(), out_shape);
    std::vector<int64_t> strides = array_util::Strides(in.shape());
    bool ok = DispatchElem(in.dtype(), [&]<typename T>() {
      const T* src = in.data<T>();
      T* dst = out.data<T>();
      const int64_t total = out.NumElements();
      if (total == 0) return;
      if (rank == 0) {
        dst[0] = src[0];
        return;
      }
      std::vector<int64_t> idx(static_cast<size_t>(rank), 0);
      const int64_t inner = out_shape.dim(rank - 1);
      const std::vector<int64_t>& last = maps[rank - 1];
      for (int64_t o = 0; o < total; o += inner) {
        int64_t base = 0;
        for (int k = 0; k + 1 < rank; ++k) base += maps[k][idx[k]] * strides[k];
        for (int64_t j = 0; j < inner; ++j) dst[o + j] = src[base + last[j]];
        for (int k = rank - 2; k >= 0; --k) {
          if (++idx[k] < out_shape.dim(k)) break;
          idx[k] = 0;
        }
      }
    });
    if (!ok) return array_util::UnsupportedDType(ctx, in.dtype());
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

// --- SpaceToBatchND / BatchToSpaceND -----------------------------------------------------

struct BlockSpec {
  std::vector<int64_t> block;
  std::vector<int64_t> pads;  // [m, 2]
  int64_t block_prod = 1;
};

absl::StatusOr<BlockSpec> ReadBlockSpec(const KernelContext* ctx, const Tensor& in,
                                        const Tensor& block_t, const Tensor& pads_t,
                                        absl::string_view pads_name) {
  BlockSpec s;
  TFM_ASSIGN_OR_RETURN(s.block, array_util::ReadIntVector(ctx, block_t, "block_shape"));
  const int m = static_cast<int>(s.block.size());
  if (in.rank() < 1 + m) {
    return ctx->Error(absl::StrCat("input rank should be >= ", 1 + m, " instead of ", in.rank()));
  }
  TFM_ASSIGN_OR_RETURN(s.pads, ReadPaddings(ctx, pads_t, m, in.shape(), pads_name));
  for (int i = 0; i < m; ++i) {
    if (s.block[i] < 1) {
      return ctx->Error(absl::StrCat("block_shape must be positive, got ", s.block[i]));
    }
    if (s.block_prod > kMaxTensorElements / s.block[i]) {
      return ctx->Error("product of block_shape is too large");
    }
    s.block_prod *= s.block[i];
  }
  return s;
}

absl::Status SpaceToBatchCompute(KernelContext* ctx) {
  TFM_RETURN_IF_ERROR(NeedInputs(ctx, 3));
  const Tensor& in = ctx->input(0);
  TFM_ASSIGN_OR_RETURN(BlockSpec s,
                       ReadBlockSpec(ctx, in, ctx->input(1), ctx->input(2), "paddings"));
  const int m = static_cast<int>(s.block.size());
  std::vector<int64_t> full_pads(static_cast<size_t>(2 * in.rank()), 0);
  for (int i = 0; i < 2 * m; ++i) full_pads[2 + i] = s.pads[i];
  if (!DTypeIsPod(in.dtype()) && in.dtype() != DType::kString) {
    return array_util::UnsupportedDType(ctx, in.dtype());
  }
  TFM_ASSIGN_OR_RETURN(Tensor padded,
                       PadConstant(ctx, in, full_pads, Tensor(in.dtype(), TensorShape{})));
  std::vector<int64_t> ps = array_util::Strides(padded.shape());
  // Source view: [b_1..b_m, batch, o_1..o_m, rest...].
  std::vector<int64_t> dims, strides;
  TensorShape out_shape;
  out_shape.AddDim(in.dim(0) * s.block_prod);
  for (int i = 0; i < m; ++i) {
    dims.push_back(s.block[i]);
    strides.push_back(ps[1 + i]);
  }
  dims.push_back(in.dim(0));
  strides.push_back(ps[0]);
  for (int i = 0; i < m; ++i) {
    const int64_t p = padded.dim(1 + i);
    if (p % s.block[i] != 0) {
      return ctx->Error(absl::StrCat("padded_shape[", i, "]=", p,
                                     " is not divisible by block_shape[", i, "]=", s.block[i]));
    }
    dims.push_back(p / s.block[i]);
    strides.push_back(s.block[i] * ps[1 + i]);
    out_shape.AddDim(p / s.block[i]);
  }
  for (int i = 1 + m; i < in.rank(); ++i) {
    dims.push_back(in.dim(i));
    strides.push_back(ps[i]);
    out_shape.AddDim(in.dim(i));
  }
  TFM_RETURN_IF_ERROR(array_util::CheckShape(ctx, out_shape));
  Tensor out = Tensor::Empty(in.dtype(), out_shape);
  DispatchElem(in.dtype(), [&]<typename T>() {
    array_util::StridedGather(padded.data<T>(), 0, strides, out.data<T>(), dims);
  });
  ctx->set_output(0, std::move(out));
  return absl::OkStatus();
}

absl::Status BatchToSpaceCompute(KernelContext* ctx) {
  TFM_RETURN_IF_ERROR(NeedInputs(ctx, 3));
  const Tensor& in = ctx->input(0);
  TFM_ASSIGN_OR_RETURN(BlockSpec s, ReadBlockSpec(ctx, in, ctx->input(1), ctx->input(2), "crops"));
  const int m = static_cast<int>(s.block.size());
  if (!DTypeIsPod(in.dtype()) && in.dtype() != DType::kString) {
    return array_util::UnsupportedDType(ctx, in.dtype());
  }
  const int64_t batch = in.dim(0);
  if (batch % s.block_prod != 0) {
    return ctx->Error(absl::StrCat("Input batch dimension (", batch,
                                   ") is not divisible by product of block sizes (", s.block_prod,
                                   ")"));
  }
  const int64_t n = batch / s.block_prod;
  std::vector<int64_t> is = array_util::Strides(in.shape());
  // Uncropped output [n, s_1*b_1, ..., rest] gathered from the view
  // [n, s_1, b_1, ..., s_m, b_m, rest] of the input seen as [b_1..b_m, n, s_1..s_m, rest].
  std::vector<int64_t> bstride(static_cast<size_t>(m));
  int64_t acc = n * is[0];
  for (int i = m - 1; i >= 0; --i) {
    bstride[i] = acc;
    acc *= s.block[i];
  }
  std::vector<int64_t> dims{n}, strides{is[0]};
  TensorShape full_shape{n};
  for (int i = 0; i < m; ++i) {
    dims.push_back(in.dim(1 + i));
    strides.push_back(is[1 + i]);
    dims.push_back(s.block[i]);
    strides.push_back(bstride[i]);
    full_shape.AddDim(in.dim(1 + i) * s.block[i]);
  }
  for (int i = 1 + m; i < in.rank(); ++i) {
    dims.push_back(in.dim(i));
    strides.push_back(is[i]);
    full_shape.AddDim(in.dim(i));
  }
  for (int i = 0; i < m; ++i) {
    const int64_t size = full_shape.dim(1 + i);
    if (s.pads[2 * i] + s.pads[2 * i + 1] > size) {
      return ctx->Error(absl::StrCat("Cropped size must be non-negative: start: ", s.pads[2 * i],
                                     " end: ", s.pads[2 * i + 1], " size ", size));
    }
  }
  Tensor full = Tensor::Empty(in.dtype(), full_shape);
  DispatchElem(in.dtype(), [&]<typename T>() {
    array_util::StridedGather(in.data<T>(), 0, strides, full.data<T>(), dims);
  });
  TensorShape out_shape = full_shape;
  int64_t base = 0;
  std::vector<int64_t> fs = array_util::Strides(full_shape);
  for (int i = 0; i < m; ++i) {
    out_shape.set_dim(1 + i, full_shape.dim(1 + i) - s.pads[2 * i] - s.pads[2 * i + 1]);
    base += s.pads[2 * i] * fs[1 + i];
  }
  if (out_shape == full_shape) {
    ctx->set_output(0, std::move(full));
    return absl::OkStatus();
  }
  if (out_shape.NumElements() == 0) base = 0;
  TFM_ASSIGN_OR_RETURN(Tensor out, array_util::GatherStrided(ctx, full, base, fs, out_shape));
  ctx->set_output(0, std::move(out));
  return absl::OkStatus();
}

// --- DepthToSpace / SpaceToDepth (NHWC) --------------------------------------------------

absl::StatusOr<int64_t> BlockSizeAttr(const KernelInit& init) {
  int64_t bs = 0;
  TFM_RETURN_IF_ERROR(init.GetAttr("block_size", &bs));
  if (bs < 2) {
    return init.Error(
        absl::StrCat("Value for attr 'block_size' of ", bs, " must be at least minimum 2"));
  }
  std::string fmt = "NHWC";
  TFM_RETURN_IF_ERROR(init.GetAttrOr("data_format", &fmt));
  if (fmt != "NHWC") {
    return init.Error(absl::StrCat("only data_format NHWC is supported on CPU, got ", fmt));
  }
  return bs;
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakeDepthToSpace(const KernelInit& init) {
  TFM_ASSIGN_OR_RETURN(int64_t bs, BlockSizeAttr(init));
  return MakeKernel([bs](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedInputs(ctx, 1));
    const Tensor& in = ctx->input(0);
    if (in.rank() != 4) {
      return ctx->Error(absl::StrCat("Input rank should be: 4 instead of: ", in.rank()));
    }
    const int64_t N = in.dim(0), H = in.dim(1), W = in.dim(2), C = in.dim(3);
    if (C % (bs * bs) != 0) {
      return ctx->Error(
          absl::StrCat("Input depth dimension ", C, " should be divisible by: ", bs * bs));
    }
    const int64_t c2 = C / (bs * bs);
    TensorShape out_shape{N, H * bs, W * bs, c2};
    TFM_RETURN_IF_ERROR(array_util::CheckShape(ctx, out_shape));
    std::vector<int64_t> is = array_util::Strides(in.shape());
    std::vector<int64_t> dims{N, H, bs, W, bs, c2};
    std::vector<int64_t> strides{is[0], is[1], bs * c2, is[2], c2, 1};
    Tensor out = Tensor::Empty(in.dtype(), out_shape);
    bool ok = DispatchElem(in.dtype(), [&]<typename T>() {
      array_util::StridedGather(in.data<T>(), 0, strides, out.data<T>(), dims);
    });
    if (!ok) return array_util::UnsupportedDType(ctx, in.dtype());
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakeSpaceToDepth(const KernelInit& init) {
  TFM_ASSIGN_OR_RETURN(int64_t bs, BlockSizeAttr(init));
  return MakeKernel([bs](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(NeedInputs(ctx, 1));
    const Tensor& in = ctx->input(0);
    if (in.rank() != 4) {
      return ctx->Error(absl::StrCat("Input rank should be: 4 instead of: ", in.rank()));
    }
    const int64_t N = in.dim(0), H = in.dim(1), W = in.dim(2), C = in.dim(3);
    if (H % bs != 0 || W % bs != 0) {
      return ctx->Error(absl::StrCat("Image height ", H, " and width ", W,
                                     " should be divisible by block_size: ", bs));
    }
    TensorShape out_shape{N, H / bs, W / bs, C * bs * bs};
    TFM_RETURN_IF_ERROR(array_util::CheckShape(ctx, out_shape));
    std::vector<int64_t> is = array_util::Strides(in.shape());
    std::vector<int64_t> dims{N, H / bs, W / bs, bs, bs, C};
    std::vector<int64_t> strides{is[0], bs * is[1], bs * is[2], is[1], is[2], 1};
    Tensor out = Tensor::Empty(in.dtype(), out_shape);
    bool ok = DispatchElem(in.dtype(), [&]<typename T>() {
      array_util::StridedGather(in.data<T>(), 0, strides, out.data<T>(), dims);
    });
    if (!ok) return array_util::UnsupportedDType(ctx, in.dtype());
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterPadKernels(KernelRegistry& r) {
  r.Register("Pad", [](const KernelInit&) -> absl::StatusOr<std::unique_ptr<OpKernel>> {
    return MakeKernel([](KernelContext* ctx) { return PadCompute(ctx, false); });
  });
  r.Register("PadV2", [](const KernelInit&) -> absl::StatusOr<std::unique_ptr<OpKernel>> {
    return MakeKernel([](KernelContext* ctx) { return PadCompute(ctx, true); });
  });
  r.Register("MirrorPad", MakeMirrorPad);
  r.Register("SpaceToBatchND", [](const KernelInit&) -> absl::StatusOr<std::unique_ptr<OpKernel>> {
    return MakeKernel(SpaceToBatchCompute);
  });
  r.Register("BatchToSpaceND", [](const KernelInit&) -> absl::StatusOr<std::unique_ptr<OpKernel>> {
    return MakeKernel(BatchToSpaceCompute);
  });
  r.Register("DepthToSpace", MakeDepthToSpace);
  r.Register("SpaceToDepth", MakeSpaceToDepth);
}

}  // namespace tfmodel::runtime
