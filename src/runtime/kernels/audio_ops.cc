// Audio ops of keyword-spotting front ends: DecodeWav, EncodeWav, AudioSpectrogram and
// Mfcc, with TF's attrs, shapes and error conditions (tensorflow/core/ops/audio_ops.cc).
// The arithmetic lives in format/wav, spectrogram.h and mfcc.h.
#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "format/wav.h"
#include "runtime/kernel.h"
#include "runtime/kernels/mfcc.h"
#include "runtime/kernels/nn_util.h"
#include "runtime/kernels/spectrogram.h"

namespace tfmodel::runtime {
namespace {

using nn::ShapeStr;

absl::Status CheckInputs(KernelContext* ctx, int n) {
  if (ctx->num_inputs() != n) {
    return ctx->Error(absl::StrCat("expects ", n, " inputs, got ", ctx->num_inputs()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakeDecodeWav(const KernelInit& init) {
  int32_t desired_channels = -1, desired_samples = -1;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("desired_channels", &desired_channels));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("desired_samples", &desired_samples));
  if (desired_channels < -1) {
    return init.Error(absl::StrCat("desired_channels must be >= -1, got ", desired_channels));
  }
  if (desired_samples < -1) {
    return init.Error(absl::StrCat("desired_samples must be >= -1, got ", desired_samples));
  }
  return MakeKernel([desired_channels, desired_samples](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(CheckInputs(ctx, 1));
    const Tensor& contents = ctx->input(0);
    if (contents.dtype() != DType::kString || contents.rank() != 0) {
      return ctx->Error(absl::StrCat("contents must be a string scalar, got ",
                                     DTypeName(contents.dtype()), " ", ShapeStr(contents)));
    }
    auto wav = DecodeWav16(contents.scalar<std::string>());
    if (!wav.ok()) return ctx->Error(wav.status().message());
    const int64_t frames = desired_samples == -1 ? wav->frames : desired_samples;
    const int64_t channels = desired_channels == -1 ? wav->channels : desired_channels;
    TFM_RETURN_IF_ERROR(TensorShape::Validate({frames, channels}));
    Tensor out = Tensor::Empty(DType::kFloat, TensorShape{frames, channels});
    float* o = out.data<float>();
    const int64_t have = wav->frames, have_channels = wav->channels;
    for (int64_t s = 0; s < frames; ++s) {
      for (int64_t c = 0; c < channels; ++c) {
        // Missing frames are silence; extra channels repeat the last decoded one.
        o[s * channels + c] =
            s < have ? wav->samples[s * have_channels + std::min(c, have_channels - 1)] : 0.0f;
      }
    }
    ctx->set_output(0, std::move(out));
    ctx->set_output(1, Tensor::Scalar<int32_t>(static_cast<int32_t>(wav->sample_rate)));
    return absl::OkStatus();
  });
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakeEncodeWav(const KernelInit& init) {
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(CheckInputs(ctx, 2));
    const Tensor& audio = ctx->input(0);
    const Tensor& rate = ctx->input(1);
    if (audio.dtype() != DType::kFloat || audio.rank() != 2) {
      return ctx->Error(absl::StrCat("audio must be a 2-dimensional float tensor, got ",
                                     DTypeName(audio.dtype()), " ", ShapeStr(audio)));
    }
    if (rate.dtype() != DType::kInt32 || rate.rank() != 0) {
      return ctx->Error(absl::StrCat("Input sample_rate should be an int32 scalar, got ",
                                     DTypeName(rate.dtype()), " ", ShapeStr(rate)));
    }
    const int32_t sample_rate = rate.scalar<int32_t>();
    if (sample_rate <= 0) {
      return ctx->Error(absl::StrCat("sample_rate must be positive, got ", sample_rate));
    }
    auto wav = EncodeWav16(audio.data<float>(), audio.dim(0), audio.dim(1), sample_rate);
    if (!wav.ok()) return ctx->Error(wav.status().message());
    ctx->set_output(0, Tensor::StringScalar(std::move(*wav)));
    return absl::OkStatus();
  });
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakeAudioSpectrogram(const KernelInit& init) {
  int32_t window_size = 0, stride = 0;
  bool magnitude_squared = false;
  TFM_RETURN_IF_ERROR(init.GetAttr("window_size", &window_size));
  TFM_RETURN_IF_ERROR(init.GetAttr("stride", &stride));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("magnitude_squared", &magnitude_squared));
  auto plan = audio::SpectrogramPlan::Create(window_size, stride);
  if (!plan.ok()) return init.Error(plan.status().message());
  auto shared = std::make_shared<const audio::SpectrogramPlan>(std::move(*plan));
  return MakeKernel([shared, magnitude_squared](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(CheckInputs(ctx, 1));
    const Tensor& in = ctx->input(0);
    if (in.dtype() != DType::kFloat || in.rank() != 2) {
      return ctx->Error(absl::StrCat("input must be a 2-dimensional float tensor, got ",
                                     DTypeName(in.dtype()), " ", ShapeStr(in)));
    }
    const audio::SpectrogramPlan& p = *shared;
    const int64_t samples = in.dim(0), channels = in.dim(1);
    const int64_t frames = p.NumFrames(samples), bins = p.output_channels();
    TFM_RETURN_IF_ERROR(TensorShape::Validate({channels, frames, bins}));
    Tensor out = Tensor::Empty(DType::kFloat, TensorShape{channels, frames, bins});
    float* o = out.data<float>();
    nn::ParallelFor(ctx, channels, static_cast<double>(frames) * p.fft_length() * 20,
                    [&](int64_t begin, int64_t end) {
                      for (int64_t c = begin; c < end; ++c) {
                        p.Compute(in.data<float>() + c, samples, channels, o + c * frames * bins);
                      }
                    });
    if (!magnitude_squared) {
      for (float& v : out.flat<float>()) v = std::sqrt(v);
    }
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakeMfcc(const KernelInit& init) {
  float upper = 4000, lower = 20;
  int32_t channels = 40, coefficients = 13;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("upper_frequency_limit", &upper));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("lower_frequency_limit", &lower));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("filterbank_channel_count", &channels));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("dct_coefficient_count", &coefficients));
  audio::MfccOptions options;
  options.upper_frequency_limit = upper;
  options.lower_frequency_limit = lower;
  options.filterbank_channel_count = channels;
  options.dct_coefficient_count = coefficients;
  // Check the attrs once with a nominal spectrogram so bad ones fail at load.
  if (auto p = audio::MfccPlan::Create(2, 1.0, options); !p.ok()) {
    return init.Error(p.status().message());
  }
  return MakeKernel([options](KernelContext* ctx) -> absl::Status {
    TFM_RETURN_IF_ERROR(CheckInputs(ctx, 2));
    const Tensor& spec = ctx->input(0);
    const Tensor& rate = ctx->input(1);
    if (spec.dtype() != DType::kFloat || spec.rank() != 3) {
      return ctx->Error(absl::StrCat("spectrogram must be a 3-dimensional float tensor, got ",
                                     DTypeName(spec.dtype()), " ", ShapeStr(spec)));
    }
    if (rate.dtype() != DType::kInt32 || rate.rank() != 0) {
      return ctx->Error(absl::StrCat("Input sample_rate should be an int32 scalar, got ",
                                     DTypeName(rate.dtype()), " ", ShapeStr(rate)));
    }
    const int64_t audio_channels = spec.dim(0), frames = spec.dim(1), bins = spec.dim(2);
    const int32_t sample_rate = rate.scalar<int32_t>();
    if (bins > (int64_t{1} << 30)) {
      return ctx->Error(absl::StrCat("spectrogram has too many bins: ", ShapeStr(spec)));
    }
    auto plan = audio::MfccPlan::Create(static_cast<int>(bins), sample_rate, options);
    if (!plan.ok()) {
      return ctx->Error(absl::StrCat("Mfcc initialization failed for channel count ", bins,
                                     " and sample rate ", sample_rate, ": ",
                                     plan.status().message()));
    }
    const int64_t rows = audio_channels * frames;
    Tensor out = Tensor::Empty(DType::kFloat,
                               TensorShape{audio_channels, frames, options.dct_coefficient_count});
    const float* s = spec.data<float>();
    float* o = out.data<float>();
    for (int64_t r = 0; r < rows; ++r) {
      plan->Compute(s + r * bins, o + r * options.dct_coefficient_count);
    }
    ctx->set_output(0, std::move(out));
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterAudioKernels(KernelRegistry& r) {
  r.Register("DecodeWav", MakeDecodeWav);
  r.Register("EncodeWav", MakeEncodeWav);
  r.Register("AudioSpectrogram", MakeAudioSpectrogram);
  r.Register("Mfcc", MakeMfcc);
}

}  // namespace tfmodel::runtime
