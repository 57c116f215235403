#include "format/wav.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/status.h"

namespace tfmodel {
namespace {

absl::Status Bad(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("Invalid WAV data: ", what));
}

// Printable form of a 4-byte chunk id for error messages.
std::string Printable(absl::string_view id) {
  std::string out;
  for (unsigned char c : id) {
    if (c >= 0x20 && c < 0x7f) {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "\\x%02x", c);
    }
  }
  return out;
}

// Little-endian reads with bounds checks; `pos` only moves on success.
class Reader {
 public:
  explicit Reader(absl::string_view d) : d_(d) {}
  size_t pos() const { return pos_; }
  bool AtEnd() const { return pos_ >= d_.size(); }

  absl::Status Take(size_t n, absl::string_view what, absl::string_view* out) {
    if (pos_ > d_.size() || d_.size() - pos_ < n) {
      return Bad(absl::StrCat("data too short reading ", what, " at byte ", pos_, " (need ", n,
                              " bytes, ", pos_ > d_.size() ? 0 : d_.size() - pos_, " left of ",
                              d_.size(), ")"));
    }
    *out = d_.substr(pos_, n);
    pos_ += n;
    return absl::OkStatus();
  }
  template <typename T>
  absl::Status Read(absl::string_view what, T* v) {
    absl::string_view b;
    TFM_RETURN_IF_ERROR(Take(sizeof(T), what, &b));
    uint64_t x = 0;
    for (size_t i = 0; i < sizeof(T); ++i) {
      x |= static_cast<uint64_t>(static_cast<unsigned char>(b[i])) << (8 * i);
    }
    *v = static_cast<T>(x);
    return absl::OkStatus();
  }
  absl::Status Expect(absl::string_view text) {
    absl::string_view b;
    TFM_RETURN_IF_ERROR(Take(text.size(), absl::StrCat("'", text, "'"), &b));
    if (b != text) {
      return Bad(absl::StrCat("header mismatch at byte ", pos_ - text.size(), ": expected '", text,
                              "' but found '", Printable(b), "'"));
    }
    return absl::OkStatus();
  }
  absl::Status Skip(uint64_t n, absl::string_view what) {
    if (pos_ > d_.size() || d_.size() - pos_ < n) {
      return Bad(
          absl::StrCat("data too short skipping ", n, " bytes of ", what, " at byte ", pos_));
    }
    pos_ += n;
    return absl::OkStatus();
  }
  // Skips a chunk that may run past the end (then reading stops there, as in TF).
  void Advance(uint64_t n) { pos_ = n >= d_.size() - pos_ ? d_.size() : pos_ + n; }

 private:
  absl::string_view d_;
  size_t pos_ = 0;
};

bool IsPaddingChunk(absl::string_view id) {
  for (const char* p : {"JUNK", "bext", "iXML", "qlty", "mext", "levl", "link", "axml"}) {
    if (id == p) return true;
  }
  return false;
}

struct Format {
  uint16_t channels = 0;
  uint32_t sample_rate = 0;
  uint16_t block_align = 0;
};

absl::Status ReadFormatChunk(Reader& r, Format* f) {
  uint32_t size = 0;
  TFM_RETURN_IF_ERROR(r.Read("the format chunk size", &size));
  if (size != 16 && size != 18) {
    return Bad(absl::StrCat("bad format chunk size: expected 16 or 18, got ", size,
                            " (only plain PCM headers are supported, not WAVE_FORMAT_EXTENSIBLE)"));
  }
  uint16_t audio_format = 0, bits = 0;
  uint32_t byte_rate = 0;
  TFM_RETURN_IF_ERROR(r.Read("the audio format", &audio_format));
  if (audio_format != 1) {
    return Bad(absl::StrCat("bad audio format: expected 1 (PCM), got ", audio_format));
  }
  TFM_RETURN_IF_ERROR(r.Read("the channel count", &f->channels));
  if (f->channels < 1) {
    return Bad(absl::StrCat("bad number of channels: expected at least 1, got ", f->channels));
  }
  TFM_RETURN_IF_ERROR(r.Read("the sample rate", &f->sample_rate));
  TFM_RETURN_IF_ERROR(r.Read("the byte rate", &byte_rate));
  TFM_RETURN_IF_ERROR(r.Read("the block align", &f->block_align));
  TFM_RETURN_IF_ERROR(r.Read("the bits per sample", &bits));
  if (bits != 16) {
    return Bad(absl::StrCat("can only read 16-bit WAV files, but this one has ", bits,
                            " bits per sample"));
  }
  const uint32_t expected_align = (static_cast<uint32_t>(bits) * f->channels + 7) / 8;
  if (f->block_align != expected_align) {
    return Bad(absl::StrCat("bad bytes per sample (block align) in header: expected ",
                            expected_align, " but got ", f->block_align));
  }
  const uint32_t expected_rate = static_cast<uint32_t>(f->block_align) * f->sample_rate;
  if (byte_rate != expected_rate) {
    return Bad(absl::StrCat("bad bytes per second in header: expected ", expected_rate, " but got ",
                            byte_rate, " (sample_rate=", f->sample_rate,
                            ", bytes_per_sample=", f->block_align, ")"));
  }
  if (size == 18) TFM_RETURN_IF_ERROR(r.Skip(2, "the format extension size"));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<WavAudio> DecodeWav16(absl::string_view data) {
  if (data.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return Bad(absl::StrCat("contents are too large: ", data.size(), " bytes"));
  }
  Reader r(data);
  TFM_RETURN_IF_ERROR(r.Expect("RIFF"));
  uint32_t riff_size = 0;
  TFM_RETURN_IF_ERROR(r.Read("the RIFF size", &riff_size));
  TFM_RETURN_IF_ERROR(r.Expect("WAVE"));
  absl::string_view id;
  TFM_RETURN_IF_ERROR(r.Take(4, "a chunk id", &id));
  while (id != "fmt ") {
    if (!IsPaddingChunk(id)) {
      return Bad(absl::StrCat("unexpected chunk '", Printable(id), "' at byte ", r.pos() - 4,
                              " before the 'fmt ' chunk"));
    }
    uint32_t size = 0;
    TFM_RETURN_IF_ERROR(r.Read("a chunk size", &size));
    TFM_RETURN_IF_ERROR(r.Skip(size, absl::StrCat("chunk '", id, "'")));
    TFM_RETURN_IF_ERROR(r.Take(4, "a chunk id", &id));
  }
  Format f;
  TFM_RETURN_IF_ERROR(ReadFormatChunk(r, &f));

  WavAudio out;
  out.channels = f.channels;
  out.sample_rate = f.sample_rate;
  bool found = false;
  while (!r.AtEnd()) {
    TFM_RETURN_IF_ERROR(r.Take(4, "a chunk id", &id));
    uint32_t size = 0;
    TFM_RETURN_IF_ERROR(r.Read("a chunk size", &size));
    if (size > static_cast<uint32_t>(std::numeric_limits<int32_t>::max())) {
      return Bad(absl::StrCat("chunk '", Printable(id), "' is too large: ", size, " bytes"));
    }
    if (id != "data") {
      r.Advance(size);
      continue;
    }
    if (found) return Bad("more than one data chunk");
    found = true;
    out.frames = size / f.block_align;
    const uint64_t count = static_cast<uint64_t>(out.frames) * f.channels;
    // Check the bytes exist before allocating (a header can claim 2 GB).
    absl::string_view bytes;
    TFM_RETURN_IF_ERROR(r.Take(count * 2, "the sample data", &bytes));
    out.samples.resize(count);
    for (uint64_t i = 0; i < count; ++i) {
      const auto lo = static_cast<uint16_t>(static_cast<unsigned char>(bytes[2 * i]));
      const auto hi = static_cast<uint16_t>(static_cast<unsigned char>(bytes[2 * i + 1]));
      const auto v = static_cast<int16_t>(static_cast<uint16_t>(lo | (hi << 8)));
      out.samples[i] = static_cast<float>(v) * (1.0f / 32768.0f);
    }
  }
  if (!found) return Bad("no data chunk found");
  return out;
}

absl::StatusOr<std::string> EncodeWav16(const float* samples, uint64_t frames, uint64_t channels,
                                        uint64_t sample_rate) {
  if (sample_rate == 0 || sample_rate > std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError(
        absl::StrCat("sample_rate must be in (0, 2^32), got: ", sample_rate));
  }
  if (channels == 0 || channels > std::numeric_limits<uint16_t>::max()) {
    return absl::InvalidArgumentError(
        absl::StrCat("num_channels must be in (0, 2^16), got: ", channels));
  }
  constexpr uint64_t kHeader = 44;
  const uint64_t max = std::numeric_limits<uint32_t>::max();
  if (frames > (max - kHeader) / 2 / channels) {
    return absl::InvalidArgumentError(absl::StrCat("Provided channels (", channels,
                                                   ") and frames (", frames,
                                                   ") cannot be encoded as a WAV."));
  }
  const uint64_t n = frames * channels;
  std::string out;
  out.reserve(kHeader + 2 * n);
  auto put = [&out](uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  out += "RIFF";
  put(kHeader + 2 * n - 8, 4);
  out += "WAVEfmt ";
  put(16, 4);
  put(1, 2);
  put(channels, 2);
  put(sample_rate, 4);
  put(sample_rate * 2 * channels, 4);
  put(2 * channels, 2);
  put(16, 2);
  out += "data";
  put(2 * n, 4);
  for (uint64_t i = 0; i < n; ++i) {
    const float scaled = std::round(samples[i] * 32768.0f);
    // NaN has no int16 value; write silence for it.
    const float c = std::isnan(scaled) ? 0.0f : std::min(std::max(scaled, -32768.0f), 32767.0f);
    put(static_cast<uint16_t>(static_cast<int16_t>(c)), 2);
  }
  return out;
}

}  // namespace tfmodel
