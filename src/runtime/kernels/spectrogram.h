// The short-time Fourier transform behind TF's AudioSpectrogram op
// (tensorflow/core/kernels/spectrogram.cc): frames of `window_length` samples every
// `step` samples (only whole frames: 1 + (n - window) / step of them, none when n < window),
// each multiplied by the periodic Hann window 0.5 - 0.5 cos(2 pi i / window_length),
// zero-padded to the next power of two >= window_length, and transformed; the result per
// frame is |X_k|^2 for k = 0 .. fft_length / 2, computed in double and rounded to float.
//
// The FFT is our own radix-2 real transform (a complex FFT of half the length plus one
// split step): TF's FFT length is always a power of two, so nothing more general is
// needed, and the twiddle tables are built once per plan (at kernel construction).
#ifndef TFMODEL_RUNTIME_KERNELS_SPECTROGRAM_H_
#define TFMODEL_RUNTIME_KERNELS_SPECTROGRAM_H_

#include <complex>
#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"

namespace tfmodel::runtime::audio {

// Forward DFT of a real sequence whose length is a power of two (>= 2).
class RealFft {
 public:
  explicit RealFft(int length);  // length must be a power of two >= 2
  int length() const { return n_; }
  // out[k] = sum_j in[j] exp(-2 pi i j k / n) for k = 0 .. n/2 (n/2 + 1 values).
  // `in` has n values; `work` is scratch of n/2 values.
  void Forward(const double* in, std::complex<double>* out,
               std::vector<std::complex<double>>* work) const;

 private:
  int n_;
  int half_;
  std::vector<int> bitrev_;                    // half_ entries
  std::vector<std::complex<double>> twiddle_;  // exp(-2 pi i j / half_), j < half_/2
  std::vector<std::complex<double>> split_;    // exp(-2 pi i k / n), k <= n/2
};

class SpectrogramPlan {
 public:
  // Fails when window_length < 2 or step < 1 (TF's limits).
  static absl::StatusOr<SpectrogramPlan> Create(int window_length, int step);

  int window_length() const { return window_length_; }
  int step() const { return step_; }
  int fft_length() const { return fft_.length(); }
  int output_channels() const { return fft_.length() / 2 + 1; }
  int64_t NumFrames(int64_t samples) const {
    return samples < window_length_ ? 0 : 1 + (samples - window_length_) / step_;
  }

  // Squared magnitudes of every frame of one channel: `samples[i * sample_stride]` for
  // i < num_samples; writes NumFrames(num_samples) x output_channels() floats to `out`.
  void Compute(const float* samples, int64_t num_samples, int64_t sample_stride, float* out) const;

 private:
  SpectrogramPlan(int window_length, int step);
  int window_length_;
  int step_;
  std::vector<double> window_;
  RealFft fft_;
};

}  // namespace tfmodel::runtime::audio

#endif  // TFMODEL_RUNTIME_KERNELS_SPECTROGRAM_H_
