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
#include "runtime/kernels/image_decode.h"

namespace tfmodel::runtime {
namespace {

using Result = absl::StatusOr<std::unique_ptr<OpKernel>>;
using image_decode::DecodeBmpBytes;
using image_decode::DecodePngBytes;

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

// One row of CMYK samples (inverted when the file has an Adobe marker, as libjpeg reads
// Adobe CMYK) to RGB.
void CmykRowToRgb(const JSAMPLE* src, int width, bool adobe, uint8_t* line) {
  for (int x = 0; x < width; ++x) {
    const int c = src[4 * x], m = src[4 * x + 1], y = src[4 * x + 2], k = src[4 * x + 3];
    if (adobe) {
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

// try_recover_truncated: the `rows` rows from `line` on repeat the row above (zeros when
// no row was read yet).
void RepeatLastRow(bool none_read, JDIMENSION rows, int row_bytes, uint8_t* line) {
  for (JDIMENSION y = 0; y < rows; ++y) {
    if (y == 0 && none_read) {
      std::memset(line, 0, static_cast<size_t>(row_bytes));
    } else {
      std::memcpy(line, line - row_bytes, static_cast<size_t>(row_bytes));
    }
    line += row_bytes;
  }
}

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
          CmykRowToRgb(src, width, cinfo->saw_Adobe_marker != 0, line);
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
        RepeatLastRow(cinfo->output_scanline == skipped, last - cinfo->output_scanline,
                      job->row_bytes, line);
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
