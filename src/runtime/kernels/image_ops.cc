// Image decoding kernels with TensorFlow's semantics: DecodeJpeg, DecodeAndCropJpeg,
// DecodePng, DecodeImage, DecodeBmp and ExtractJpegShape.
//
// JPEG goes through libjpeg(-turbo) set up as TensorFlow's jpeg_mem does: output colour space
// grayscale or RGB (CMYK/YCCK images decoded as CMYK and converted to RGB by hand),
// do_fancy_upsampling = fancy_upscaling, scale 1/ratio, and dct_method "" or INTEGER_FAST ->
// JDCT_IFAST (TensorFlow's chosen default), INTEGER_ACCURATE -> JDCT_ISLOW. Truncated data
// fails unless try_recover_truncated (then a fake EOI is inserted and missing rows repeat
// the last good row); rows that could not be read are black and the decode fails when the
// fraction read is below acceptable_fraction. PNG goes through libpng with TensorFlow's
// png_io transformations (alpha add/strip, palette/gray expansion, rgb_to_gray with
// 0.299/0.587, 8-bit data widened to 16 bits as v * 257). DecodeAndCropJpeg decodes only the
// window, as TensorFlow does with libjpeg-turbo (jpeg_crop_scanline + jpeg_skip_scanlines);
// that can differ slightly from cropping a full decode near the window's edges.
//
// As in TensorFlow, DecodeJpeg / DecodePng / DecodeImage look at the magic bytes and decode
// JPEG or PNG whichever op was used; BMP is decoded by DecodeBmp and DecodeImage. GIF and
// WebP are not supported (clear error).
//
// libjpeg and libpng report fatal errors through callbacks that must not return; ours
// longjmp back to the decode function. Those functions keep only trivially destructible
// locals between setjmp and longjmp; every C++ object lives in the caller's frame.

// jpeglib.h needs size_t and FILE declared first.
// clang-format off
#include <cstddef>
#include <cstdio>
#include <jpeglib.h>
#include <jerror.h>
#include <png.h>
// clang-format on

#include <algorithm>
#include <csetjmp>
#include <cstring>
#include <functional>
#include <limits>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "runtime/kernel.h"

namespace tfmodel::runtime {
namespace {

using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;

// ---------------------------------------------------------------- JPEG

struct JpegFlags {
  int ratio = 1;
  int components = 0;  // 0 = as in the file (at most 3)
  bool fancy_upscaling = true;
  bool try_recover_truncated = false;
  float min_acceptable_fraction = 1.0f;
  J_DCT_METHOD dct_method = JDCT_IFAST;
};

// libjpeg error manager that longjmps instead of exit()ing and keeps the message.
struct JpegErrorMgr {
  jpeg_error_mgr pub;
  jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void JpegErrorExit(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegErrorMgr*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}
// Warnings (and trace messages) are not printed.
void JpegOutputMessage(j_common_ptr) {}

// Memory source like TensorFlow's: an empty buffer is an error; at the end of the data a
// fake EOI is inserted when recovering truncated files, else reading fails.
struct JpegMemSource {
  jpeg_source_mgr pub;
  const JOCTET* data;
  size_t size;
  bool try_recover_truncated;
};
const JOCTET kFakeEoi[2] = {0xFF, JPEG_EOI};

void MemInitSource(j_decompress_ptr cinfo) {
  auto* src = reinterpret_cast<JpegMemSource*>(cinfo->src);
  src->pub.next_input_byte = src->data;
  src->pub.bytes_in_buffer = src->size;
}
boolean MemFillInputBuffer(j_decompress_ptr cinfo) {
  auto* src = reinterpret_cast<JpegMemSource*>(cinfo->src);
  if (src->pub.bytes_in_buffer == 0 && src->pub.next_input_byte == src->data) {
    ERREXIT(cinfo, JERR_INPUT_EMPTY);
    return FALSE;
  }
  if (src->pub.bytes_in_buffer > 0) return src->try_recover_truncated ? TRUE : FALSE;
  if (src->pub.next_input_byte != kFakeEoi && src->try_recover_truncated) {
    WARNMS(cinfo, JWRN_JPEG_EOF);
    src->pub.next_input_byte = kFakeEoi;
    src->pub.bytes_in_buffer = 2;
    return TRUE;
  }
  ERREXIT(cinfo, JERR_FILE_READ);
  return FALSE;
}
void MemSkipInputData(j_decompress_ptr cinfo, long n) {  // NOLINT(runtime/int): libjpeg API
  auto* src = reinterpret_cast<JpegMemSource*>(cinfo->src);
  if (n <= 0) return;
  if (static_cast<size_t>(n) > src->pub.bytes_in_buffer) {
    src->pub.bytes_in_buffer = 0;
    (void)MemFillInputBuffer(cinfo);
  } else {
    src->pub.bytes_in_buffer -= static_cast<size_t>(n);
    src->pub.next_input_byte += n;
  }
}
void MemTermSource(j_decompress_ptr) {}

void SetMemSource(j_decompress_ptr cinfo, JpegMemSource* src, const void* data, size_t size,
                  bool recover) {
  src->pub.init_source = MemInitSource;
  src->pub.fill_input_buffer = MemFillInputBuffer;
  src->pub.skip_input_data = MemSkipInputData;
  src->pub.resync_to_restart = jpeg_resync_to_restart;
  src->pub.term_source = MemTermSource;
  src->pub.bytes_in_buffer = 0;
  src->pub.next_input_byte = nullptr;
  src->data = static_cast<const JOCTET*>(data);
  src->size = size;
  src->try_recover_truncated = recover;
  cinfo->src = &src->pub;
}

// State shared between JpegDecodeLow (setjmp side) and its caller.
struct JpegJob {
  const void* data = nullptr;
  size_t size = 0;
  JpegFlags flags;
  // Called once with (height, width, channels); returns the output buffer or null.
  std::function<uint8_t*(int, int, int)> allocate;
  // Results.
  int height = 0;
  int height_read = 0;
  int row_bytes = 0;
  uint8_t* out = nullptr;
  const char* failure = nullptr;  // our own reason when libjpeg did not fail
  JpegErrorMgr err;
  JpegMemSource src;
  jpeg_decompress_struct cinfo;
  JSAMPLE* scratch_row = nullptr;  // row for CMYK -> RGB or a widened crop
  // DecodeAndCropJpeg window (in output pixels).
  bool crop = false;
  int crop_y = 0, crop_x = 0, crop_h = 0, crop_w = 0;
  int full_height = 0, full_width = 0;
};

// Returns true when job->out holds the image (rows past height_read unset). Only trivially
// destructible locals: libjpeg errors longjmp here. With job->crop, decodes just the window
// as TensorFlow does with libjpeg-turbo: jpeg_crop_scanline (which widens the window to the
// left to an iMCU boundary; the extra columns are dropped) and jpeg_skip_scanlines.
bool JpegDecodeLow(JpegJob* job) {
  jpeg_decompress_struct* cinfo = &job->cinfo;
  cinfo->err = jpeg_std_error(&job->err.pub);
  job->err.pub.error_exit = JpegErrorExit;
  job->err.pub.output_message = JpegOutputMessage;
  job->err.message[0] = '\0';
  if (setjmp(job->err.jump)) {
    jpeg_destroy_decompress(cinfo);
    return false;
  }
  jpeg_create_decompress(cinfo);
  SetMemSource(cinfo, &job->src, job->data, job->size, job->flags.try_recover_truncated);
  jpeg_read_header(cinfo, TRUE);

  int components = job->flags.components;
  if (components == 0) components = std::min(cinfo->num_components, 3);
  if (components == 1) {
    cinfo->out_color_space = JCS_GRAYSCALE;
  } else if (components == 3) {
    cinfo->out_color_space =
        (cinfo->jpeg_color_space == JCS_CMYK || cinfo->jpeg_color_space == JCS_YCCK) ? JCS_CMYK
                                                                                     : JCS_RGB;
  } else {
    job->failure = "invalid number of channels";
    jpeg_destroy_decompress(cinfo);
    return false;
  }
  cinfo->do_fancy_upsampling = job->flags.fancy_upscaling ? TRUE : FALSE;
  cinfo->scale_num = 1;
  cinfo->scale_denom = static_cast<unsigned int>(job->flags.ratio);
  cinfo->dct_method = job->flags.dct_method;
  jpeg_calc_output_dimensions(cinfo);
  const int64_t total = static_cast<int64_t>(cinfo->output_height) *
                        static_cast<int64_t>(cinfo->output_width) * cinfo->num_components;
  if (cinfo->output_width == 0 || cinfo->output_height == 0) {
    job->failure = "invalid image size";
    jpeg_destroy_decompress(cinfo);
    return false;
  }
  if (total >= (int64_t{1} << 29)) {
    job->failure = "image too large";
    jpeg_destroy_decompress(cinfo);
    return false;
  }
  jpeg_start_decompress(cinfo);
  const bool cmyk = cinfo->out_color_space == JCS_CMYK;
  if ((cmyk && cinfo->output_components != 4) ||
      (!cmyk && cinfo->output_components != components)) {
    job->failure = "unexpected number of output components";
    jpeg_destroy_decompress(cinfo);
    return false;
  }
  job->full_height = static_cast<int>(cinfo->output_height);
  job->full_width = static_cast<int>(cinfo->output_width);
  int width = job->full_width;
  int height = job->full_height;
  JDIMENSION skipped = 0;
  if (job->crop) {
    if (job->crop_w <= 0 || job->crop_h <= 0 || job->crop_x < 0 || job->crop_y < 0 ||
        static_cast<int64_t>(job->crop_y) + job->crop_h > height ||
        static_cast<int64_t>(job->crop_x) + job->crop_w > width) {
      job->failure = "crop window";
      jpeg_destroy_decompress(cinfo);
      return false;
    }
    width = job->crop_w;
    height = job->crop_h;
    JDIMENSION cx = static_cast<JDIMENSION>(job->crop_x);
    JDIMENSION cw = static_cast<JDIMENSION>(job->crop_w);
    jpeg_crop_scanline(cinfo, &cx, &cw);
    skipped = jpeg_skip_scanlines(cinfo, static_cast<JDIMENSION>(job->crop_y));
    if (skipped != static_cast<JDIMENSION>(job->crop_y)) {
      job->failure = "could not skip to the crop window";
      jpeg_destroy_decompress(cinfo);
      return false;
    }
  }
  const int samples = cmyk ? 4 : components;
  // Columns decoded left of the window (jpeg_crop_scanline aligns to an iMCU).
  const int left = static_cast<int>(cinfo->output_width) - width;
  job->height = height;
  job->row_bytes = width * components;
  job->out = job->allocate(height, width, components);
  if (job->out == nullptr) {
    job->failure = "could not allocate the output";
    jpeg_destroy_decompress(cinfo);
    return false;
  }
  if (cmyk || left > 0) {
    job->scratch_row = static_cast<JSAMPLE*>(
        (*cinfo->mem->alloc_small)(reinterpret_cast<j_common_ptr>(cinfo), JPOOL_IMAGE,
                                   static_cast<size_t>(cinfo->output_width) * samples));
  }
  job->height_read = height;
  bool truncated = false;
  uint8_t* line = job->out;
  const JDIMENSION last = skipped + static_cast<JDIMENSION>(height);
  while (cinfo->output_scanline < last) {
    JDIMENSION got;
    if (job->scratch_row != nullptr) {
      got = jpeg_read_scanlines(cinfo, &job->scratch_row, 1);
      if (got > 0) {
        const JSAMPLE* src = job->scratch_row + static_cast<size_t>(left) * samples;
        if (!cmyk) {
          std::memcpy(line, src, static_cast<size_t>(job->row_bytes));
        } else {
          for (int x = 0; x < width; ++x) {
            const int c = src[4 * x], m = src[4 * x + 1], y = src[4 * x + 2], k = src[4 * x + 3];
            if (cinfo->saw_Adobe_marker) {
              line[3 * x] = static_cast<uint8_t>(k * c / 255);
              line[3 * x + 1] = static_cast<uint8_t>(k * m / 255);
              line[3 * x + 2] = static_cast<uint8_t>(k * y / 255);
            } else {
              line[3 * x] = static_cast<uint8_t>((255 - k) * (255 - c) / 255);
              line[3 * x + 1] = static_cast<uint8_t>((255 - k) * (255 - m) / 255);
              line[3 * x + 2] = static_cast<uint8_t>((255 - k) * (255 - y) / 255);
            }
          }
        }
      }
    } else {
      JSAMPROW row = line;
      got = jpeg_read_scanlines(cinfo, &row, 1);
    }
    if (got == 0) {
      // Premature end of data.
      if (!job->flags.try_recover_truncated) {
        job->height_read = static_cast<int>(cinfo->output_scanline - skipped);
        truncated = true;
      } else {
        for (JDIMENSION y = cinfo->output_scanline; y < last; ++y) {
          if (y == skipped) {
            std::memset(line, 0, static_cast<size_t>(job->row_bytes));
          } else {
            std::memcpy(line, line - job->row_bytes, static_cast<size_t>(job->row_bytes));
          }
          line += job->row_bytes;
        }
        cinfo->output_scanline = last;
      }
      break;
    }
    line += job->row_bytes;
  }
  if (truncated) {
    jpeg_abort(reinterpret_cast<j_common_ptr>(cinfo));
  } else {
    if (job->crop && cinfo->output_scanline < cinfo->output_height) {
      jpeg_skip_scanlines(cinfo, cinfo->output_height - cinfo->output_scanline);
    }
    jpeg_finish_decompress(cinfo);
  }
  jpeg_destroy_decompress(cinfo);
  return true;
}

// Decodes into a uint8 [h, w, c] tensor. Errors name the op (via `ctx`).
// `crop` (y, x, height, width) selects a window, or is null for the whole image.
absl::StatusOr<Tensor> DecodeJpegBytes(KernelContext* ctx, absl::string_view data,
                                       const JpegFlags& flags, const int32_t* crop = nullptr) {
  if (data.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return ctx->Error(absl::StrCat("Input contents are too large for int: ", data.size()));
  }
  auto job = std::make_unique<JpegJob>();
  job->data = data.data();
  job->size = data.size();
  job->flags = flags;
  if (crop != nullptr) {
    job->crop = true;
    job->crop_y = crop[0];
    job->crop_x = crop[1];
    job->crop_h = crop[2];
    job->crop_w = crop[3];
  }
  Tensor out;
  job->allocate = [&out](int h, int w, int c) -> uint8_t* {
    out = Tensor::Empty(DType::kUInt8, TensorShape{h, w, c});
    return out.data<uint8_t>();
  };
  const bool ok = JpegDecodeLow(job.get());
  if (!ok && job->failure != nullptr && std::strcmp(job->failure, "crop window") == 0) {
    return ctx->Error(absl::StrCat("Invalid JPEG data or crop window: crop window [y=", job->crop_y,
                                   ", x=", job->crop_x, ", h=", job->crop_h, ", w=", job->crop_w,
                                   "] does not fit the image of height ", job->full_height,
                                   " and width ", job->full_width));
  }
  if (!ok) {
    std::string why = job->err.message[0] ? job->err.message
                      : job->failure      ? job->failure
                                          : "decode failed";
    return ctx->Error(absl::StrCat("Invalid JPEG data, size ", data.size(), ": ", why));
  }
  if (job->height_read != job->height) {
    const float fraction =
        job->height == 0 ? 1.0f
                         : static_cast<float>(job->height_read) / static_cast<float>(job->height);
    if (fraction < std::min(1.0f, flags.min_acceptable_fraction)) {
      return ctx->Error(absl::StrCat("Invalid JPEG data, size ", data.size(),
                                     ": premature end of data after ", job->height_read, " of ",
                                     job->height, " rows (acceptable_fraction ",
                                     flags.min_acceptable_fraction, ")"));
    }
    std::memset(out.data<uint8_t>() + static_cast<size_t>(job->height_read) * job->row_bytes, 0,
                static_cast<size_t>(job->height - job->height_read) * job->row_bytes);
  }
  return out;
}

// Header-only: [height, width, channels] as libjpeg would decode with default settings.
bool JpegShapeLow(JpegJob* job, int* h, int* w, int* c) {
  jpeg_decompress_struct* cinfo = &job->cinfo;
  cinfo->err = jpeg_std_error(&job->err.pub);
  job->err.pub.error_exit = JpegErrorExit;
  job->err.pub.output_message = JpegOutputMessage;
  job->err.message[0] = '\0';
  jpeg_create_decompress(cinfo);
  if (setjmp(job->err.jump)) {
    jpeg_destroy_decompress(cinfo);
    return false;
  }
  SetMemSource(cinfo, &job->src, job->data, job->size, false);
  jpeg_read_header(cinfo, TRUE);
  jpeg_calc_output_dimensions(cinfo);
  *h = static_cast<int>(cinfo->output_height);
  *w = static_cast<int>(cinfo->output_width);
  *c = cinfo->output_components;
  jpeg_destroy_decompress(cinfo);
  return true;
}

// ---------------------------------------------------------------- PNG

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

// ---------------------------------------------------------------- BMP

uint32_t ReadLe32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

absl::StatusOr<Tensor> DecodeBmpBytes(KernelContext* ctx, absl::string_view data, int channels) {
  if (channels == 1) {
    return ctx->Error(absl::StrCat("`channels` must be 0, 3 or 4 for BMP, but got ", channels));
  }
  if (data.size() < 32) {
    return ctx->Error(absl::StrCat(
        "Incomplete bmp content, requires at least 32 bytes to find the header size, width, "
        "height, and bpp, got ",
        data.size(), " bytes"));
  }
  const uint8_t* b = reinterpret_cast<const uint8_t*>(data.data());
  const int32_t header_size = static_cast<int32_t>(ReadLe32(b + 10));
  const int32_t width = static_cast<int32_t>(ReadLe32(b + 18));
  const int32_t height = static_cast<int32_t>(ReadLe32(b + 22));
  const int bpp = static_cast<int>(b[28]) | (static_cast<int>(b[29]) << 8);
  const int img_channels = bpp / 8;
  if (img_channels != 1 && img_channels != 3 && img_channels != 4) {
    return ctx->Error(absl::StrCat(
        "Number of channels inherent in the image must be 1, 3 or 4, was ", img_channels));
  }
  if (width <= 0) return ctx->Error("Width must be positive");
  if (height == 0 || height == std::numeric_limits<int32_t>::min()) {
    return ctx->Error("Height must be nonzero");
  }
  if (header_size < 0) return ctx->Error("header size must be nonnegative");
  const int64_t abs_height = height < 0 ? -static_cast<int64_t>(height) : height;
  if (static_cast<int64_t>(width) * abs_height >= std::numeric_limits<int32_t>::max() / 8) {
    return ctx->Error("Total possible pixel bytes must be less than 2^30");
  }
  const int64_t row_size = (static_cast<int64_t>(img_channels) * width + 3) / 4 * 4;
  const int64_t diff = static_cast<int64_t>(data.size()) - header_size - row_size * abs_height;
  if (diff != 0) {
    return ctx->Error(absl::StrCat(
        "Input size should match (header_size + row_size * abs_height) but they differ by ", diff));
  }
  const int out_c = channels == 0 ? img_channels : channels;
  Tensor out = Tensor::Empty(DType::kUInt8, TensorShape{abs_height, width, out_c});
  uint8_t* o = out.data<uint8_t>();
  const uint8_t* pix = b + header_size;
  const bool top_down = height < 0;
  for (int64_t y = 0; y < abs_height; ++y) {
    const uint8_t* src = pix + (top_down ? y : abs_height - 1 - y) * row_size;
    for (int64_t x = 0; x < width; ++x) {
      const uint8_t* s = src + x * img_channels;
      uint8_t* d = o + (y * width + x) * out_c;
      // BMP stores BGR(A); gray replicates.
      uint8_t r, g, bl, a = 255;
      if (img_channels == 1) {
        r = g = bl = s[0];
      } else {
        bl = s[0];
        g = s[1];
        r = s[2];
        if (img_channels == 4) a = s[3];
      }
      d[0] = r;
      if (out_c >= 3) {
        d[1] = g;
        d[2] = bl;
      }
      if (out_c == 4) d[3] = a;
    }
  }
  return out;
}

// ---------------------------------------------------------------- kernels

enum class Format { kUnknown, kJpeg, kPng, kGif, kBmp, kWebp };

Format Classify(absl::string_view d) {
  if (absl::StartsWith(d, "\xff\xd8\xff")) return Format::kJpeg;
  if (absl::StartsWith(d, "\x89PNG\r\n\x1a\n")) return Format::kPng;
  if (absl::StartsWith(d, "GIF8")) return Format::kGif;
  if (absl::StartsWith(d, "BM")) return Format::kBmp;
  if (absl::StartsWith(d, "RIFF") && d.size() > 12 && d.substr(8, 4) == "WEBP") {
    return Format::kWebp;
  }
  return Format::kUnknown;
}

struct DecodeSpec {
  std::string op;
  JpegFlags jpeg;
  int channels = 0;
  DType dtype = DType::kUInt8;
  bool expand_animations = true;
};

absl::StatusOr<Tensor> ToDType(const Tensor& u8, DType dtype) {
  if (dtype == DType::kUInt8) return u8;
  Tensor out = Tensor::Empty(dtype, u8.shape());
  const uint8_t* s = u8.data<uint8_t>();
  if (dtype == DType::kUInt16) {
    uint16_t* d = out.data<uint16_t>();
    for (int64_t i = 0; i < u8.NumElements(); ++i) d[i] = static_cast<uint16_t>(s[i] * 256);
  } else {
    float* d = out.data<float>();
    for (int64_t i = 0; i < u8.NumElements(); ++i) d[i] = s[i] * (1.0f / 255.0f);
  }
  return out;
}

absl::Status DecodeCompute(const DecodeSpec& spec, KernelContext* ctx) {
  const Tensor& contents = ctx->input(0);
  if (contents.dtype() != DType::kString || contents.rank() != 0) {
    return ctx->Error(absl::StrCat("contents must be a string scalar, got ",
                                   DTypeName(contents.dtype()), " ", contents.shape().ToString()));
  }
  const std::string& data = contents.scalar<std::string>();
  if (data.empty()) return ctx->Error("Input is empty.");
  const Format format = Classify(data);
  Tensor image;
  switch (format) {
    case Format::kJpeg: {
      if (spec.op == "DecodeBmp") {
        return ctx->Error(
            "Trying to decode JPEG format using DecodeBmp op. Use `decode_jpeg` or "
            "`decode_image` instead.");
      }
      if (spec.channels == 4) return ctx->Error("JPEG does not support 4 channels");
      JpegFlags flags = spec.jpeg;
      flags.components = spec.channels;
      const int32_t* crop = nullptr;
      if (spec.op == "DecodeAndCropJpeg") {
        const Tensor& w = ctx->input(1);
        if (w.dtype() != DType::kInt32 || w.rank() != 1 || w.dim(0) != 4) {
          return ctx->Error(absl::StrCat("crop_window must be an int32 vector of 4 elements, got ",
                                         DTypeName(w.dtype()), " ", w.shape().ToString()));
        }
        crop = w.data<int32_t>();
      }
      TFM_ASSIGN_OR_RETURN(Tensor u8, DecodeJpegBytes(ctx, data, flags, crop));
      TFM_ASSIGN_OR_RETURN(image, ToDType(u8, spec.dtype));
      break;
    }
    case Format::kPng: {
      if (spec.op == "DecodeBmp") {
        return ctx->Error(
            "Trying to decode PNG format using DecodeBmp op. Use `decode_png` or "
            "`decode_image` instead.");
      }
      if (spec.op == "DecodeAndCropJpeg") {
        return ctx->Error("DecodeAndCropJpeg operation can run on JPEG only, but detected PNG.");
      }
      TFM_ASSIGN_OR_RETURN(image, DecodePngBytes(ctx, data, spec.channels, spec.dtype));
      break;
    }
    case Format::kBmp: {
      if (spec.op != "DecodeBmp" && spec.op != "DecodeImage") {
        return ctx->Error(absl::StrCat(
            "Trying to decode BMP format using a wrong op. Use `decode_bmp` or `decode_image` "
            "instead. Op used: ",
            spec.op));
      }
      TFM_ASSIGN_OR_RETURN(Tensor u8, DecodeBmpBytes(ctx, data, spec.channels));
      TFM_ASSIGN_OR_RETURN(image, ToDType(u8, spec.dtype));
      break;
    }
    case Format::kGif:
      return ctx->Error("GIF images are not supported by tfmodel (JPEG, PNG and BMP are)");
    case Format::kWebp:
      return ctx->Error("WebP images are not supported by tfmodel (JPEG, PNG and BMP are)");
    case Format::kUnknown:
      return ctx->Error(absl::StrCat(
          "Unknown image file format (size ", data.size(), ", starting with '",
          absl::CEscape(data.substr(0, 16)),
          "'): no JPEG, PNG, GIF or BMP signature. One of JPEG, PNG, GIF, BMP required."));
  }
  ctx->set_output(0, std::move(image));
  return absl::OkStatus();
}

Result MakeDecode(const KernelInit& init) {
  DecodeSpec spec;
  spec.op = init.op();
  if (spec.op == "DecodeJpeg" || spec.op == "DecodeAndCropJpeg") {
    int64_t ratio = 1;
    TFM_RETURN_IF_ERROR(init.GetAttrOr("ratio", &ratio));
    if (ratio != 1 && ratio != 2 && ratio != 4 && ratio != 8) {
      return init.Error(absl::StrCat("ratio must be 1, 2, 4, or 8, got ", ratio));
    }
    spec.jpeg.ratio = static_cast<int>(ratio);
    TFM_RETURN_IF_ERROR(init.GetAttrOr("fancy_upscaling", &spec.jpeg.fancy_upscaling));
    TFM_RETURN_IF_ERROR(init.GetAttrOr("try_recover_truncated", &spec.jpeg.try_recover_truncated));
    TFM_RETURN_IF_ERROR(init.GetAttrOr("acceptable_fraction", &spec.jpeg.min_acceptable_fraction));
    std::string dct;
    TFM_RETURN_IF_ERROR(init.GetAttrOr("dct_method", &dct));
    if (dct.empty() || dct == "INTEGER_FAST") {
      spec.jpeg.dct_method = JDCT_IFAST;
    } else if (dct == "INTEGER_ACCURATE") {
      spec.jpeg.dct_method = JDCT_ISLOW;
    } else {
      return init.Error(absl::StrCat(
          "dct_method must be one of {'', 'INTEGER_FAST', 'INTEGER_ACCURATE'}, got '", dct, "'"));
    }
  }
  if (spec.op == "DecodePng" || spec.op == "DecodeImage") {
    TFM_RETURN_IF_ERROR(init.GetAttrOr("dtype", &spec.dtype));
    const bool ok = spec.dtype == DType::kUInt8 || spec.dtype == DType::kUInt16 ||
                    (spec.op == "DecodeImage" && spec.dtype == DType::kFloat);
    if (!ok) {
      return init.Error(
          absl::StrCat("`dtype` for `", spec.op, "` must be ",
                       spec.op == "DecodeImage" ? "uint8, uint16 or float" : "uint8 or uint16",
                       " but got: ", DTypeName(spec.dtype)));
    }
    TFM_RETURN_IF_ERROR(init.GetAttrOr("expand_animations", &spec.expand_animations));
  }
  int64_t channels = 0;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("channels", &channels));
  if (channels != 0 && channels != 1 && channels != 3 && channels != 4) {
    return init.Error(absl::StrCat("`channels` must be 0, 1, 3 or 4 but got ", channels));
  }
  spec.channels = static_cast<int>(channels);
  const int want_inputs = spec.op == "DecodeAndCropJpeg" ? 2 : 1;
  if (init.num_inputs() != want_inputs) {
    return init.Error(absl::StrCat("expected ", want_inputs, " input(s), got ", init.num_inputs()));
  }
  return MakeKernel([spec](KernelContext* ctx) { return DecodeCompute(spec, ctx); });
}

Result MakeExtractJpegShape(const KernelInit& init) {
  DType out_type = DType::kInt32;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("output_type", &out_type));
  if (out_type != DType::kInt32 && out_type != DType::kInt64) {
    return init.Error(
        absl::StrCat("output_type must be int32 or int64, got ", DTypeName(out_type)));
  }
  return MakeKernel([out_type](KernelContext* ctx) -> absl::Status {
    const Tensor& contents = ctx->input(0);
    if (contents.dtype() != DType::kString || contents.rank() != 0) {
      return ctx->Error(
          absl::StrCat("contents must be scalar, got shape ", contents.shape().ToString()));
    }
    const std::string& data = contents.scalar<std::string>();
    auto job = std::make_unique<JpegJob>();
    job->data = data.data();
    job->size = data.size();
    int h = 0, w = 0, c = 0;
    if (data.empty() || !JpegShapeLow(job.get(), &h, &w, &c)) {
      return ctx->Error(absl::StrCat("Invalid JPEG data, size ", data.size(),
                                     job->err.message[0] ? ": " : "", job->err.message));
    }
    if (out_type == DType::kInt32) {
      ctx->set_output(0, Tensor::FromVector<int32_t>({h, w, c}));
    } else {
      ctx->set_output(0, Tensor::FromVector<int64_t>({h, w, c}));
    }
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterImageKernels(KernelRegistry& r) {
  for (const char* op :
       {"DecodeJpeg", "DecodeAndCropJpeg", "DecodePng", "DecodeImage", "DecodeBmp"}) {
    r.Register(op, MakeDecode);
  }
  r.Register("ExtractJpegShape", MakeExtractJpegShape);
}

}  // namespace tfmodel::runtime
