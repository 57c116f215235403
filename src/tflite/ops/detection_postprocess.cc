// TFLite's custom operator TFLite_Detection_PostProcess: the box decoding and non-maximum
// suppression at the end of the Object Detection API's SSD models, with the semantics of
// TFLite's kernel (tensorflow/lite/kernels/detection_postprocess.cc).
//
// Inputs: box encodings [1, N, >=4] (ycenter, xcenter, h, w relative to the anchor, scaled
// by y/x/h/w_scale), class scores [1, N, num_classes (+1 with the background class at 0)],
// anchors [N, 4] (ycenter, xcenter, h, w); float32, or uint8/int8 dequantized with the
// tensor's scale and zero point. Outputs (float32), M = max_detections *
// max_classes_per_detection: boxes [1, M, 4] (ymin, xmin, ymax, xmax), classes [1, M] (class
// index without the background), scores [1, M], num_detections [1]. Unused slots are zero.
//
// Fast NMS (use_regular_nms false): each anchor keeps its top max_classes_per_detection
// classes and is ranked by its best class score; one class-agnostic NMS picks up to
// max_detections anchors, each filling max_classes_per_detection slots. Regular NMS: NMS per
// class (up to detections_per_class boxes each), then the max_detections best over all
// classes. Both keep scores >= nms_score_threshold and drop a box whose IoU with a kept
// higher-scoring box is > nms_iou_threshold.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status.h"
#include "flatbuffers/flexbuffers.h"
#include "tflite/ops/ops.h"
#include "tflite/quant_math.h"

namespace tfmodel::tflite {
namespace {

constexpr int64_t kMaxOutputSlots = int64_t{1} << 20;  // max_detections * classes per detection
constexpr int kDefaultDetectionsPerClass = 100;        // TFLite's default

struct DetectionOptions {
  int max_detections = 0;
  int max_classes_per_detection = 0;
  int detections_per_class = kDefaultDetectionsPerClass;
  bool use_regular_nms = false;
  float score_threshold = 0.0f;
  float iou_threshold = 0.0f;
  int num_classes = 0;
  float y_scale = 0, x_scale = 0, h_scale = 0, w_scale = 0;
  int64_t slots() const { return int64_t{max_detections} * max_classes_per_detection; }
};

// How to read one input as float: its type and (for int8/uint8) per-tensor parameters.
struct InputFormat {
  DType type = DType::kInvalid;
  float scale = 1.0f;
  int32_t zero_point = 0;
};

struct DetectionState : OpState {
  DetectionOptions o;
  InputFormat boxes, scores, anchors;
};

struct Box {
  float ymin, xmin, ymax, xmax;
};

// ---- options ----

absl::StatusOr<flexbuffers::Reference> Option(OpBuilder& b, const flexbuffers::Map& m,
                                              const char* key, bool required) {
  flexbuffers::Reference r = m[key];
  if (r.IsNull()) {
    if (required) return b.Error(absl::StrCat("option '", key, "' is missing"));
    return r;
  }
  if (!r.IsNumeric() && !r.IsBool()) {
    return b.Error(absl::StrCat("option '", key, "' is not a number"));
  }
  return r;
}

absl::Status IntOption(OpBuilder& b, const flexbuffers::Map& m, const char* key, bool required,
                       int64_t min, int* out) {
  TFM_ASSIGN_OR_RETURN(flexbuffers::Reference r, Option(b, m, key, required));
  if (r.IsNull()) return absl::OkStatus();
  const double v = r.IsFloat() ? r.AsDouble() : static_cast<double>(r.AsInt64());
  if (!(v >= static_cast<double>(min)) || v > 2147483647.0 || v != std::floor(v)) {
    return b.Error(absl::StrCat("option '", key, "' is ", v, ", expected an integer >= ", min));
  }
  *out = static_cast<int>(v);
  return absl::OkStatus();
}

absl::Status FloatOption(OpBuilder& b, const flexbuffers::Map& m, const char* key, bool required,
                         float* out) {
  TFM_ASSIGN_OR_RETURN(flexbuffers::Reference r, Option(b, m, key, required));
  if (!r.IsNull()) *out = static_cast<float>(r.AsDouble());
  return absl::OkStatus();
}

absl::StatusOr<DetectionOptions> ParseOptions(OpBuilder& b) {
  const auto* opts = b.op().custom_options();
  if (!opts || opts->size() == 0) return b.Error("has no options (a FlexBuffer map)");
  if (!flexbuffers::VerifyBuffer(opts->data(), opts->size())) {
    return b.Error("custom options are not a valid FlexBuffer");
  }
  auto root = flexbuffers::GetRoot(opts->data(), opts->size());
  if (!root.IsMap()) return b.Error("custom options are not a FlexBuffer map");
  const flexbuffers::Map m = root.AsMap();
  DetectionOptions o;
  TFM_RETURN_IF_ERROR(IntOption(b, m, "max_detections", true, 0, &o.max_detections));
  TFM_RETURN_IF_ERROR(
      IntOption(b, m, "max_classes_per_detection", true, 1, &o.max_classes_per_detection));
  TFM_RETURN_IF_ERROR(IntOption(b, m, "num_classes", true, 1, &o.num_classes));
  TFM_ASSIGN_OR_RETURN(flexbuffers::Reference regular, Option(b, m, "use_regular_nms", false));
  o.use_regular_nms = !regular.IsNull() && regular.AsBool();
  TFM_RETURN_IF_ERROR(IntOption(b, m, "detections_per_class", false, o.use_regular_nms ? 1 : 0,
                                &o.detections_per_class));
  TFM_RETURN_IF_ERROR(FloatOption(b, m, "nms_score_threshold", false, &o.score_threshold));
  TFM_RETURN_IF_ERROR(FloatOption(b, m, "nms_iou_threshold", true, &o.iou_threshold));
  if (!(o.iou_threshold > 0.0f && o.iou_threshold <= 1.0f)) {
    return b.Error(absl::StrCat("nms_iou_threshold is ", o.iou_threshold, ", must be in (0, 1]"));
  }
  const std::pair<const char*, float*> scales[] = {{"y_scale", &o.y_scale},
                                                   {"x_scale", &o.x_scale},
                                                   {"h_scale", &o.h_scale},
                                                   {"w_scale", &o.w_scale}};
  for (const auto& [key, value] : scales) {
    TFM_RETURN_IF_ERROR(FloatOption(b, m, key, true, value));
    if (*value == 0.0f || !std::isfinite(*value)) {
      return b.Error(
          absl::StrCat("option '", key, "' is ", *value, ", must be finite and non-zero"));
    }
  }
  if (o.slots() > kMaxOutputSlots) {
    return b.Error(absl::StrCat("max_detections * max_classes_per_detection = ", o.slots(),
                                " output slots, more than the limit of ", kMaxOutputSlots));
  }
  return o;
}

// ---- shapes and types ----

std::string ShapeString(const std::vector<int64_t>& s) {
  return absl::StrCat("[", absl::StrJoin(s, ","), "]");
}

// Empty when the shapes fit the options; dimensions < 0 are unknown and match anything.
std::string ShapeError(const std::vector<int64_t>& boxes, const std::vector<int64_t>& scores,
                       const std::vector<int64_t>& anchors, const DetectionOptions& o) {
  auto is = [](int64_t d, int64_t want) { return d < 0 || d == want; };
  if (boxes.size() != 3 || !is(boxes[0], 1) || (boxes[2] >= 0 && boxes[2] < 4)) {
    return absl::StrCat("box encodings (input 0) have shape ", ShapeString(boxes),
                        ", expected [1, num_boxes, >=4]");
  }
  if (scores.size() != 3 || !is(scores[0], 1) ||
      !(is(scores[2], o.num_classes) || is(scores[2], int64_t{o.num_classes} + 1))) {
    return absl::StrCat("class predictions (input 1) have shape ", ShapeString(scores),
                        ", expected [1, num_boxes, ", o.num_classes, " or ", o.num_classes + 1,
                        "] for num_classes ", o.num_classes);
  }
  if (anchors.size() != 2 || !is(anchors[1], 4)) {
    return absl::StrCat("anchors (input 2) have shape ", ShapeString(anchors),
                        ", expected [num_boxes, 4]");
  }
  const int64_t n = boxes[1];
  if ((n >= 0 && scores[1] >= 0 && scores[1] != n) ||
      (n >= 0 && anchors[0] >= 0 && anchors[0] != n) ||
      (scores[1] >= 0 && anchors[0] >= 0 && scores[1] != anchors[0])) {
    return absl::StrCat("box encodings ", ShapeString(boxes), ", class predictions ",
                        ShapeString(scores), " and anchors ", ShapeString(anchors),
                        " disagree on the number of boxes");
  }
  return "";
}

absl::StatusOr<InputFormat> Format(OpBuilder& b, size_t i, const char* what) {
  InputFormat f;
  f.type = b.input_type(i);
  if (f.type == DType::kFloat) return f;
  if (!IsQuantizedType(f.type)) {
    return b.Unsupported(absl::StrCat(what, " (input ", i, ") of type ", DTypeName(f.type),
                                      "; float32, uint8 or int8 expected"));
  }
  const QuantParams q = b.InputQuant(i);
  if (!q.present()) return b.Error(absl::StrCat(what, " (input ", i, ") has no quantization"));
  if (q.scale.size() != 1) {
    return b.Unsupported(absl::StrCat(what, " (input ", i, ") quantized per channel"));
  }
  f.scale = q.scale[0];
  f.zero_point = static_cast<int32_t>(q.zero_point[0]);
  return f;
}

// Element k of a float, uint8 or int8 tensor, dequantized as TFLite does (in float).
float Load(const Tensor& t, const InputFormat& f, int64_t k) {
  if (f.type == DType::kFloat) return t.data<float>()[k];
  return (static_cast<float>(LoadQ(t, k)) - static_cast<float>(f.zero_point)) * f.scale;
}

// ---- decoding ----

// The corner boxes of every anchor; an error when one is inverted (ymin > ymax or
// xmin > xmax), which TFLite rejects too.
absl::StatusOr<std::vector<Box>> DecodeBoxes(const DetectionState& s, const Tensor& enc,
                                             const Tensor& anchors) {
  const int64_t n = enc.dim(1);
  const int64_t stride = enc.dim(2);
  const DetectionOptions& o = s.o;
  std::vector<Box> boxes(n);
  for (int64_t i = 0; i < n; ++i) {
    const double y = Load(enc, s.boxes, i * stride), x = Load(enc, s.boxes, i * stride + 1);
    const double h = Load(enc, s.boxes, i * stride + 2), w = Load(enc, s.boxes, i * stride + 3);
    const double ay = Load(anchors, s.anchors, i * 4), ax = Load(anchors, s.anchors, i * 4 + 1);
    const double ah = Load(anchors, s.anchors, i * 4 + 2);
    const double aw = Load(anchors, s.anchors, i * 4 + 3);
    // Computed in double and rounded to float, as TFLite does.
    const float yc = static_cast<float>(y / o.y_scale * ah + ay);
    const float xc = static_cast<float>(x / o.x_scale * aw + ax);
    const float half_h = static_cast<float>(0.5 * std::exp(h / o.h_scale) * ah);
    const float half_w = static_cast<float>(0.5 * std::exp(w / o.w_scale) * aw);
    Box& b = boxes[i];
    b = {yc - half_h, xc - half_w, yc + half_h, xc + half_w};
    if (b.ymin > b.ymax || b.xmin > b.xmax) {
      return absl::InvalidArgumentError(absl::StrCat(
          "decoded box ", i, " is inverted (ymin ", b.ymin, " ymax ", b.ymax, " xmin ", b.xmin,
          " xmax ", b.xmax, "): anchor ", i, " has height ", ah, " and width ", aw));
    }
  }
  return boxes;
}

// ---- non-maximum suppression ----

float IoU(const Box& a, const Box& b) {
  const float area_a = (a.ymax - a.ymin) * (a.xmax - a.xmin);
  const float area_b = (b.ymax - b.ymin) * (b.xmax - b.xmin);
  if (area_a <= 0 || area_b <= 0) return 0.0f;
  const float ih = std::max(std::min(a.ymax, b.ymax) - std::max(a.ymin, b.ymin), 0.0f);
  const float iw = std::max(std::min(a.xmax, b.xmax) - std::max(a.xmin, b.xmin), 0.0f);
  const float inter = ih * iw;
  return inter / (area_a + area_b - inter);
}

// Indices of the `k` largest of values[0, n) in decreasing order. Like TFLite: the first
// maximum when k == 1, otherwise std::partial_sort over 0..n-1 (ties in its order).
std::vector<int> TopIndices(const float* values, int n, int k) {
  k = std::min(k, n);
  if (k == 1 && n > 0) {
    int best = 0;
    for (int i = 1; i < n; ++i) {
      if (values[i] > values[best]) best = i;
    }
    return {best};
  }
  std::vector<int> idx(n);
  std::iota(idx.begin(), idx.end(), 0);
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(),
                    [values](int i, int j) { return values[i] > values[j]; });
  idx.resize(k);
  return idx;
}

// NMS over one score per box: up to `limit` box indices by decreasing score (ties: lower
// index first), each scoring >= the threshold and overlapping no earlier pick by more than
// the IoU threshold.
std::vector<int> SingleClassNms(const std::vector<Box>& boxes, const std::vector<float>& scores,
                                const DetectionOptions& o, int limit) {
  std::vector<int> cand;
  for (int i = 0; i < static_cast<int>(scores.size()); ++i) {
    if (scores[i] >= o.score_threshold) cand.push_back(i);
  }
  std::stable_sort(cand.begin(), cand.end(),
                   [&scores](int i, int j) { return scores[i] > scores[j]; });
  std::vector<int> selected;
  std::vector<bool> active(cand.size(), true);
  for (size_t i = 0; i < cand.size() && static_cast<int>(selected.size()) < limit; ++i) {
    if (!active[i]) continue;
    selected.push_back(cand[i]);
    for (size_t j = i + 1; j < cand.size(); ++j) {
      if (active[j] && IoU(boxes[cand[i]], boxes[cand[j]]) > o.iou_threshold) active[j] = false;
    }
  }
  return selected;
}

struct Outputs {
  float* boxes;
  float* classes;
  float* scores;
  int num = 0;
  void Set(int64_t slot, const Box& b, int cls, float score) {
    boxes[4 * slot] = b.ymin;
    boxes[4 * slot + 1] = b.xmin;
    boxes[4 * slot + 2] = b.ymax;
    boxes[4 * slot + 3] = b.xmax;
    classes[slot] = static_cast<float>(cls);
    scores[slot] = score;
  }
};

// scores: [n, width] with the first class at column `offset`.
void FastNms(const DetectionOptions& o, const std::vector<Box>& boxes, const float* scores,
             int width, int offset, Outputs* out) {
  const int n = static_cast<int>(boxes.size());
  const int per_box = std::min(o.max_classes_per_detection, o.num_classes);
  std::vector<std::vector<int>> top(n);
  std::vector<float> best(n);
  for (int i = 0; i < n; ++i) {
    const float* row = scores + static_cast<int64_t>(i) * width + offset;
    top[i] = TopIndices(row, o.num_classes, per_box);
    best[i] = row[top[i][0]];
  }
  const std::vector<int> selected = SingleClassNms(boxes, best, o, o.max_detections);
  for (size_t k = 0; k < selected.size(); ++k) {
    const int i = selected[k];
    const float* row = scores + static_cast<int64_t>(i) * width + offset;
    for (int c = 0; c < per_box; ++c) {
      out->Set(int64_t{o.max_classes_per_detection} * k + c, boxes[i], top[i][c], row[top[i][c]]);
    }
  }
  out->num = static_cast<int>(selected.size());
}

void RegularNms(const DetectionOptions& o, const std::vector<Box>& boxes, const float* scores,
                int width, int offset, Outputs* out) {
  const int n = static_cast<int>(boxes.size());
  struct Pick {
    int box;
    int cls;
    float score;
  };
  std::vector<Pick> best;  // the best max_detections so far, by decreasing score
  std::vector<float> class_scores(n);
  for (int c = 0; c < o.num_classes; ++c) {
    for (int i = 0; i < n; ++i)
      class_scores[i] = scores[static_cast<int64_t>(i) * width + offset + c];
    std::vector<Pick> merged = best;
    for (int i : SingleClassNms(boxes, class_scores, o, o.detections_per_class)) {
      merged.push_back({i, c, class_scores[i]});
    }
    std::vector<float> values(merged.size());
    for (size_t k = 0; k < merged.size(); ++k) values[k] = merged[k].score;
    const int keep = std::min(static_cast<int>(merged.size()), o.max_detections);
    best.clear();
    for (int k : TopIndices(values.data(), static_cast<int>(values.size()), keep)) {
      best.push_back(merged[k]);
    }
  }
  for (size_t k = 0; k < best.size(); ++k)
    out->Set(k, boxes[best[k].box], best[k].cls, best[k].score);
  out->num = static_cast<int>(best.size());
}

}  // namespace

PrepareResult PrepareDetectionPostProcess(OpBuilder& b) {
  TFM_RETURN_IF_ERROR(b.Expect(3, 4));
  if (b.inputs().size() != 3) {
    return b.Error(absl::StrCat("expects 3 inputs, has ", b.inputs().size()));
  }
  auto s = std::make_shared<DetectionState>();
  TFM_ASSIGN_OR_RETURN(s->o, ParseOptions(b));
  TFM_ASSIGN_OR_RETURN(s->boxes, Format(b, 0, "box encodings"));
  TFM_ASSIGN_OR_RETURN(s->scores, Format(b, 1, "class predictions"));
  TFM_ASSIGN_OR_RETURN(s->anchors, Format(b, 2, "anchors"));
  for (size_t k = 0; k < 4; ++k) {
    if (b.output_type(k) != DType::kFloat) {
      return b.Error(
          absl::StrCat("output ", k, " is ", DTypeName(b.output_type(k)), ", expected float32"));
    }
  }
  const auto& bs = b.SignatureShape(b.inputs()[0]);
  const auto& ss = b.SignatureShape(b.inputs()[1]);
  const auto& as = b.SignatureShape(b.inputs()[2]);
  if (!bs.empty() && !ss.empty() && !as.empty()) {
    const std::string err = ShapeError(bs, ss, as, s->o);
    if (!err.empty()) return b.Error(err);
  }
  return s;
}

absl::Status EvalDetectionPostProcess(const OpState& state, const std::vector<const Tensor*>& in,
                                      std::vector<Tensor>* out) {
  const auto& s = static_cast<const DetectionState&>(state);
  const Tensor& enc = *in[0];
  const Tensor& cls = *in[1];
  const Tensor& anchors = *in[2];
  const std::pair<const Tensor*, const InputFormat*> typed[] = {
      {&enc, &s.boxes}, {&cls, &s.scores}, {&anchors, &s.anchors}};
  for (int i = 0; i < 3; ++i) {
    if (typed[i].first->dtype() != typed[i].second->type) {
      return absl::InvalidArgumentError(
          absl::StrCat("input ", i, " is ", DTypeName(typed[i].first->dtype()), ", expected ",
                       DTypeName(typed[i].second->type)));
    }
  }
  auto dims = [](const Tensor& t) {
    auto d = t.shape().dim_sizes();
    return std::vector<int64_t>(d.begin(), d.end());
  };
  const std::string err = ShapeError(dims(enc), dims(cls), dims(anchors), s.o);
  if (!err.empty()) return absl::InvalidArgumentError(err);

  TFM_ASSIGN_OR_RETURN(std::vector<Box> boxes, DecodeBoxes(s, enc, anchors));
  std::vector<float> scores(cls.NumElements());
  for (int64_t k = 0; k < cls.NumElements(); ++k) scores[k] = Load(cls, s.scores, k);
  const int width = static_cast<int>(cls.dim(2));
  const int offset = width - s.o.num_classes;

  const int64_t m = s.o.slots();
  Tensor out_boxes(DType::kFloat, TensorShape{1, m, 4});
  Tensor out_classes(DType::kFloat, TensorShape{1, m});
  Tensor out_scores(DType::kFloat, TensorShape{1, m});
  Outputs o{out_boxes.data<float>(), out_classes.data<float>(), out_scores.data<float>()};
  if (s.o.use_regular_nms) {
    RegularNms(s.o, boxes, scores.data(), width, offset, &o);
  } else {
    FastNms(s.o, boxes, scores.data(), width, offset, &o);
  }
  (*out)[0] = std::move(out_boxes);
  (*out)[1] = std::move(out_classes);
  (*out)[2] = std::move(out_scores);
  (*out)[3] = Tensor::FromVector<float>({static_cast<float>(o.num)}, TensorShape{1});
  return absl::OkStatus();
}

}  // namespace tfmodel::tflite
