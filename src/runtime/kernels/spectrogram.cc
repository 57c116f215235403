#include "runtime/kernels/spectrogram.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace tfmodel::runtime::audio {
namespace {

// The largest window accepted: 2^24 samples (about 17 minutes at 16 kHz); beyond it the
// tables alone would take gigabytes.
constexpr int kMaxWindow = 1 << 24;

int NextPowerOfTwo(int v) {
  int p = 1;
  while (p < v) p <<= 1;
  return p;
}

double Pi() { return std::atan(1.0) * 4.0; }

}  // namespace

RealFft::RealFft(int length) : n_(length), half_(length / 2) {
  int bits = 0;
  while ((1 << bits) < half_) ++bits;
  bitrev_.resize(half_);
  for (int i = 0; i < half_; ++i) {
    int r = 0;
    for (int b = 0; b < bits; ++b) r |= ((i >> b) & 1) << (bits - 1 - b);
    bitrev_[i] = r;
  }
  const double pi = Pi();
  twiddle_.resize(half_ / 2);
  for (int j = 0; j < half_ / 2; ++j) twiddle_[j] = std::polar(1.0, -2.0 * pi * j / half_);
  split_.resize(half_ + 1);
  for (int k = 0; k <= half_; ++k) split_[k] = std::polar(1.0, -2.0 * pi * k / n_);
}

void RealFft::Forward(const double* in, std::complex<double>* out,
                      std::vector<std::complex<double>>* work) const {
  // Pack pairs of reals as complex numbers z_j = x_2j + i x_2j+1 in bit-reversed order,
  // run an in-place radix-2 complex FFT of length n/2, then split even and odd parts.
  std::vector<std::complex<double>>& z = *work;
  z.resize(half_);
  for (int j = 0; j < half_; ++j) z[bitrev_[j]] = {in[2 * j], in[2 * j + 1]};
  for (int len = 2; len <= half_; len <<= 1) {
    const int stride = half_ / len;
    for (int start = 0; start < half_; start += len) {
      for (int j = 0; j < len / 2; ++j) {
        const std::complex<double> t = twiddle_[j * stride] * z[start + j + len / 2];
        z[start + j + len / 2] = z[start + j] - t;
        z[start + j] += t;
      }
    }
  }
  const std::complex<double> minus_half_i(0.0, -0.5);
  for (int k = 0; k <= half_; ++k) {
    const std::complex<double> a = z[k % half_];
    const std::complex<double> b = std::conj(z[(half_ - k) % half_]);
    const std::complex<double> even = 0.5 * (a + b);
    const std::complex<double> odd = minus_half_i * (a - b);
    out[k] = even + split_[k] * odd;
  }
}

SpectrogramPlan::SpectrogramPlan(int window_length, int step)
    : window_length_(window_length), step_(step), fft_(NextPowerOfTwo(window_length)) {
  const double pi = Pi();
  window_.resize(window_length);
  for (int i = 0; i < window_length; ++i) {
    window_[i] = 0.5 - 0.5 * std::cos((2 * pi * i) / window_length);
  }
}

absl::StatusOr<SpectrogramPlan> SpectrogramPlan::Create(int window_length, int step) {
  if (window_length < 2) {
    return absl::InvalidArgumentError(absl::StrCat("window_size must be > 1, got ", window_length));
  }
  if (window_length > kMaxWindow) {
    return absl::InvalidArgumentError(
        absl::StrCat("window_size ", window_length, " is too large (at most ", kMaxWindow, ")"));
  }
  if (step < 1) return absl::InvalidArgumentError(absl::StrCat("stride must be > 0, got ", step));
  return SpectrogramPlan(window_length, step);
}

void SpectrogramPlan::Compute(const float* samples, int64_t num_samples, int64_t sample_stride,
                              float* out) const {
  const int n = fft_.length();
  const int bins = output_channels();
  std::vector<double> frame(n, 0.0);
  std::vector<std::complex<double>> spectrum(bins), work;
  const int64_t frames = NumFrames(num_samples);
  for (int64_t f = 0; f < frames; ++f) {
    const float* s = samples + f * step_ * sample_stride;
    for (int j = 0; j < window_length_; ++j) {
      frame[j] = static_cast<double>(s[j * sample_stride]) * window_[j];
    }
    fft_.Forward(frame.data(), spectrum.data(), &work);
    float* o = out + f * bins;
    for (int k = 0; k < bins; ++k) {
      const double re = spectrum[k].real(), im = spectrum[k].imag();
      o[k] = static_cast<float>(re * re + im * im);
    }
  }
}

}  // namespace tfmodel::runtime::audio
