// 16-bit PCM RIFF/WAVE files, read and written the way TensorFlow's DecodeWav / EncodeWav
// ops do (tensorflow/core/lib/wav/wav_io.cc): the same accepted header layouts, the same
// sample scaling (int16 / 32768 on read, round(x * 32768) clamped on write) and the same
// rejections, each as an InvalidArgument error saying what is wrong with the bytes.
#ifndef TFMODEL_FORMAT_WAV_H_
#define TFMODEL_FORMAT_WAV_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tfmodel {

struct WavAudio {
  std::vector<float> samples;  // interleaved: frames x channels, each in [-1, 1)
  uint32_t frames = 0;
  uint16_t channels = 0;
  uint32_t sample_rate = 0;
};

// Accepts "RIFF" size "WAVE", optional padding chunks before "fmt " (JUNK, bext, iXML,
// qlty, mext, levl, link, axml), a 16- or 18-byte PCM (format 1) 16-bit format chunk with
// consistent block align and byte rate, then chunks up to the end of which exactly one is
// "data"; other chunks after the format chunk are skipped.
absl::StatusOr<WavAudio> DecodeWav16(absl::string_view data);

// A canonical 44-byte-header 16-bit PCM file for `frames` x `channels` interleaved samples.
absl::StatusOr<std::string> EncodeWav16(const float* samples, uint64_t frames, uint64_t channels,
                                        uint64_t sample_rate);

}  // namespace tfmodel

#endif  // TFMODEL_FORMAT_WAV_H_
