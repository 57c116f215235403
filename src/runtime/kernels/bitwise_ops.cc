// Bit-level ops on integer tensors: BitwiseAnd, BitwiseOr, BitwiseXor, LeftShift,
// RightShift (numpy broadcasting), Invert, PopulationCount; and Bitcast (reinterpret the
// bytes of any fixed-size numeric dtype as another).
//
// Shifts follow TF's kernels: the shift amount is clamped to [0, bits - 1] (so shifting
// by a negative amount is a no-op and by too much saturates instead of being undefined);
// RightShift is arithmetic for signed types. PopulationCount outputs uint8 counts.
// Bitcast between equal sizes keeps the shape; to a smaller type it appends a dim of
// size in/out; to a larger type the last dim must equal out/in and is dropped.
#include <bit>
#include <climits>
#include <cstring>

#include "runtime/kernels/arity.h"
#include "runtime/kernels/array_util.h"
#include "runtime/kernels/broadcast.h"
#include "runtime/kernels/wrap_math.h"

namespace tfmodel::runtime {
namespace {

using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;

enum class Bit { kAnd, kOr, kXor, kShl, kShr };

template <Bit B, typename T>
T ApplyBit(T a, T b) {
  using U = std::make_unsigned_t<T>;
  if constexpr (B == Bit::kAnd) return static_cast<T>(a & b);
  if constexpr (B == Bit::kOr) return static_cast<T>(a | b);
  if constexpr (B == Bit::kXor) return static_cast<T>(a ^ b);
  constexpr T kMaxShift = static_cast<T>(sizeof(T) * CHAR_BIT - 1);
  T s = b;
  if constexpr (std::is_signed_v<T>) {
    if (s < 0) s = 0;
  }
  if (s > kMaxShift) s = kMaxShift;
  if constexpr (B == Bit::kShl) {
    return static_cast<T>(static_cast<U>(static_cast<U>(a) << static_cast<int>(s)));
  } else {
    return static_cast<T>(a >> static_cast<int>(s));
  }
}

template <Bit B>
Result MakeBitBinary(const KernelInit& init) {
  if (init.num_inputs() != 2) return init.Error("expects 2 inputs");
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    const Tensor& x = ctx->input(0);
    const Tensor& y = ctx->input(1);
    if (x.dtype() != y.dtype()) {
      return ctx->Error(absl::StrCat("inputs must have the same dtype, got ", DTypeName(x.dtype()),
                                     " and ", DTypeName(y.dtype())));
    }
    BroadcastPlan plan;
    const TensorShape* shapes[] = {&x.shape(), &y.shape()};
    absl::Status ps = MakeBroadcastPlan(shapes, &plan);
    if (!ps.ok()) return ctx->Error(ps.message());
    Tensor out = Tensor::Empty(x.dtype(), plan.out_shape);
    bool ok = DispatchIntTypes(x.dtype(), [&]<typename T>() {
      BroadcastLoop(plan, x.data<T>(), y.data<T>(), out.data<T>(),
                    [](T a, T b) { return ApplyBit<B, T>(a, b); });
    });
    if (!ok) return array_util::UnsupportedDType(ctx, x.dtype());
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

Result MakeInvert(const KernelInit&) {
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    const Tensor& x = ctx->input(0);
    Tensor out = Tensor::Empty(x.dtype(), x.shape());
    bool ok = DispatchIntTypes(x.dtype(), [&]<typename T>() {
      const T* p = x.data<T>();
      T* o = out.data<T>();
      for (int64_t i = 0; i < x.NumElements(); ++i) o[i] = static_cast<T>(~p[i]);
    });
    if (!ok) return array_util::UnsupportedDType(ctx, x.dtype());
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

Result MakePopulationCount(const KernelInit&) {
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    const Tensor& x = ctx->input(0);
    Tensor out = Tensor::Empty(DType::kUInt8, x.shape());
    bool ok = DispatchIntTypes(x.dtype(), [&]<typename T>() {
      using U = std::make_unsigned_t<T>;
      const T* p = x.data<T>();
      uint8_t* o = out.data<uint8_t>();
      for (int64_t i = 0; i < x.NumElements(); ++i) {
        o[i] = static_cast<uint8_t>(std::popcount(static_cast<U>(p[i])));
      }
    });
    if (!ok) return array_util::UnsupportedDType(ctx, x.dtype());
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

bool Bitcastable(DType t) {
  return DTypeIsPod(t) && t != DType::kBool && t != DType::kResource && t != DType::kVariant;
}

Result MakeBitcast(const KernelInit& init) {
  DType type;
  TFM_RETURN_IF_ERROR(init.GetAttr("type", &type));
  if (!Bitcastable(type)) {
    return init.Error(absl::StrCat("Cannot bitcast to ", DTypeName(type)));
  }
  return MakeKernel([type](KernelContext* ctx) -> absl::Status {
    const Tensor& in = ctx->input(0);
    if (!Bitcastable(in.dtype())) {
      return ctx->Error(absl::StrCat("Cannot bitcast from ", DTypeName(in.dtype())));
    }
    const size_t in_size = DTypeSize(in.dtype()), out_size = DTypeSize(type);
    TensorShape shape = in.shape();
    if (in_size > out_size) {
      shape.AddDim(static_cast<int64_t>(in_size / out_size));
    } else if (in_size < out_size) {
      const int64_t ratio = static_cast<int64_t>(out_size / in_size);
      if (in.rank() < 1 || in.dim(in.rank() - 1) != ratio) {
        return ctx->Error(absl::StrCat("Cannot bitcast from ", DTypeName(in.dtype()), " to ",
                                       DTypeName(type), ": shape ", in.shape().ToString()));
      }
      shape.RemoveDim(shape.rank() - 1);
    }
    Tensor out = Tensor::Empty(type, shape);
    if (in.TotalBytes() > 0) std::memcpy(out.raw_data(), in.raw_data(), in.TotalBytes());
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterBitwiseKernels(KernelRegistry& r) {
  r.Register("BitwiseAnd", MakeBitBinary<Bit::kAnd>);
  r.Register("BitwiseOr", MakeBitBinary<Bit::kOr>);
  r.Register("BitwiseXor", MakeBitBinary<Bit::kXor>);
  r.Register("LeftShift", MakeBitBinary<Bit::kShl>);
  r.Register("RightShift", MakeBitBinary<Bit::kShr>);
  r.Register("Invert", WithInputs(1, MakeInvert));
  r.Register("PopulationCount", WithInputs(1, MakePopulationCount));
  r.Register("Bitcast", WithInputs(1, MakeBitcast));
}

}  // namespace tfmodel::runtime
