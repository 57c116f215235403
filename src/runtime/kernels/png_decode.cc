// PNG decoding for DecodePng / DecodeImage (image_decode.h): libpng with TensorFlow's png_io
// transformations. libpng reports fatal errors through a callback that longjmps back to
// PngDecodeLow, which keeps only trivially destructible locals between setjmp and longjmp.
#include <png.h>

#include <csetjmp>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"
#include "runtime/kernels/image_decode.h"

namespace tfmodel::runtime::image_decode {
namespace {

struct PngJob {
  const uint8_t* data = nullptr;
  size_t left = 0;
  bool read_error = false;
  char message[256] = {0};
  png_structp png = nullptr;
  png_infop info = nullptr;
  // Header.
  png_uint_32 width = 0, height = 0;
  int bit_depth = 0, color_type = 0;
  int channels = 0;  // desired (0 = as in the file)
  int passes = 1;
  bool synthesize_16 = false;
  std::function<uint8_t*(int, int, int)> allocate;
  uint8_t* out = nullptr;
  size_t row_bytes = 0;
};

void PngError(png_structp png, png_const_charp msg) {
  auto* job = static_cast<PngJob*>(png_get_error_ptr(png));
  std::snprintf(job->message, sizeof(job->message), "%s", msg);
  png_longjmp(png, 1);
}
void PngWarning(png_structp, png_const_charp) {}
void PngRead(png_structp png, png_bytep dst, size_t n) {
  auto* job = static_cast<PngJob*>(png_get_io_ptr(png));
  if (job->left < n) {
    job->read_error = true;
    std::memset(dst, 0, n);
    return;
  }
  std::memcpy(dst, job->data, n);
  job->data += n;
  job->left -= n;
}

// Reads a PNG with TensorFlow's transformations. desired_bits is 8 or 16. Returns false on
// error (message in job->message or a read error).
bool PngDecodeLow(PngJob* job, int desired_bits) {
  job->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, job, PngError, PngWarning);
  if (job->png == nullptr) return false;
  if (setjmp(png_jmpbuf(job->png))) {
    png_destroy_read_struct(&job->png, job->info ? &job->info : nullptr, nullptr);
    return false;
  }
  job->info = png_create_info_struct(job->png);
  if (job->info == nullptr) {
    png_destroy_read_struct(&job->png, nullptr, nullptr);
    return false;
  }
  png_set_read_fn(job->png, job, PngRead);
  png_read_info(job->png, job->info);
  png_get_IHDR(job->png, job->info, &job->width, &job->height, &job->bit_depth, &job->color_type,
               nullptr, nullptr, nullptr);
  if (job->read_error || job->width == 0 || job->height == 0) {
    if (job->message[0] == '\0') {
      std::snprintf(job->message, sizeof(job->message), "%s",
                    job->read_error ? "truncated header" : "invalid dimensions");
    }
    png_destroy_read_struct(&job->png, &job->info, nullptr);
    return false;
  }
  const bool has_trns = png_get_valid(job->png, job->info, PNG_INFO_tRNS) != 0;
  if (job->channels == 0) {
    job->channels = job->color_type == PNG_COLOR_TYPE_PALETTE
                        ? (has_trns ? 4 : 3)
                        : png_get_channels(job->png, job->info);
  }
  const bool has_alpha = (job->color_type & PNG_COLOR_MASK_ALPHA) != 0;
  if ((job->channels & 1) == 0) {
    if (!has_alpha) {
      if (has_trns) {
        png_set_tRNS_to_alpha(job->png);
      } else {
        png_set_add_alpha(job->png, (1u << job->bit_depth) - 1, PNG_FILLER_AFTER);
      }
    }
  } else if (has_alpha || has_trns) {
    png_set_strip_alpha(job->png);
  }
  if (job->bit_depth > 8 && desired_bits <= 8) png_set_strip_16(job->png);
  job->synthesize_16 = job->bit_depth <= 8 && desired_bits == 16;
  png_set_packing(job->png);
  job->passes = png_set_interlace_handling(job->png);
  if (desired_bits > 8) png_set_swap(job->png);  // little-endian host
  if (job->color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(job->png);
  const bool want_gray = job->channels < 3;
  const bool is_gray = (job->color_type & PNG_COLOR_MASK_COLOR) == 0;
  if (is_gray && job->bit_depth < 8) png_set_expand_gray_1_2_4_to_8(job->png);
  if (want_gray) {
    if (!is_gray) png_set_rgb_to_gray(job->png, 1, 0.299, 0.587);
  } else if (is_gray) {
    png_set_gray_to_rgb(job->png);
  }
  png_read_update_info(job->png, job->info);

  if (job->width >= (1u << 27) || job->height >= (1u << 27) ||
      static_cast<uint64_t>(job->width) * job->height >= (uint64_t{1} << 29)) {
    std::snprintf(job->message, sizeof(job->message), "PNG size too large for int: %u by %u",
                  static_cast<unsigned>(job->width), static_cast<unsigned>(job->height));
    png_destroy_read_struct(&job->png, &job->info, nullptr);
    return false;
  }
  job->row_bytes = static_cast<size_t>(job->width) * job->channels * (desired_bits / 8);
  job->out =
      job->allocate(static_cast<int>(job->height), static_cast<int>(job->width), job->channels);
  if (job->out == nullptr) {
    png_destroy_read_struct(&job->png, &job->info, nullptr);
    return false;
  }
  for (int p = 0; p < job->passes; ++p) {
    png_bytep row = job->out;
    for (png_uint_32 y = 0; y < job->height; ++y, row += job->row_bytes) {
      png_read_row(job->png, row, nullptr);
    }
  }
  png_read_end(job->png, job->info);
  png_destroy_read_struct(&job->png, &job->info, nullptr);
  return !job->read_error;
}

}  // namespace

absl::StatusOr<Tensor> DecodePngBytes(KernelContext* ctx, absl::string_view data, int channels,
                                      DType dtype) {
  const int bits = dtype == DType::kUInt8 ? 8 : 16;
  auto job = std::make_unique<PngJob>();
  job->data = reinterpret_cast<const uint8_t*>(data.data());
  job->left = data.size();
  job->channels = channels;
  Tensor raw;
  job->allocate = [&raw, bits](int h, int w, int c) -> uint8_t* {
    raw = Tensor::Empty(bits == 8 ? DType::kUInt8 : DType::kUInt16, TensorShape{h, w, c});
    return static_cast<uint8_t*>(raw.raw_data());
  };
  if (!PngDecodeLow(job.get(), bits)) {
    std::string why = job->message[0] ? job->message : "truncated data";
    return ctx->Error(absl::StrCat("Invalid PNG data, size ", data.size(), ": ", why));
  }
  if (job->synthesize_16) {
    // Rows hold 8-bit samples in their first half: widen from the end backwards.
    const int64_t per_row = static_cast<int64_t>(job->width) * job->channels;
    uint8_t* base = static_cast<uint8_t*>(raw.raw_data());
    for (int64_t y = static_cast<int64_t>(job->height) - 1; y >= 0; --y) {
      uint8_t* row = base + y * static_cast<int64_t>(job->row_bytes);
      for (int64_t i = per_row - 1; i >= 0; --i) {
        const uint16_t v = static_cast<uint16_t>(row[i] * 257);
        std::memcpy(row + 2 * i, &v, sizeof(v));
      }
    }
  }
  if (dtype == DType::kFloat) {
    Tensor f = Tensor::Empty(DType::kFloat, raw.shape());
    const uint16_t* s = raw.data<uint16_t>();
    float* d = f.data<float>();
    for (int64_t i = 0; i < raw.NumElements(); ++i) d[i] = s[i] * (1.0f / 65535.0f);
    return f;
  }
  return raw;
}

}  // namespace tfmodel::runtime::image_decode
