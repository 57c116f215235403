// Non-maximum suppression: NonMaxSuppression (V1..V5), NonMaxSuppressionWithOverlaps and
// CombinedNonMaxSuppression, following tensorflow/core/kernels/image/non_max_suppression_op.cc:
//  - IOU of corner-order-agnostic boxes (min/max of each coordinate pair), 0 when either
//    box has no area; a candidate is suppressed when IOU > iou_threshold (strictly);
//  - candidates with score > score_threshold (strictly) are visited by descending score,
//    ties broken by lower box index (V2..V5, WithOverlaps);
//  - soft-NMS (V5, sigma > 0) multiplies a candidate's score by exp(-0.5 sim^2 / sigma) per
//    earlier selection and requeues it while it stays above score_threshold;
//  - for half inputs every score operation rounds to half, as TF computes in Eigen::half.
// CombinedNonMaxSuppression uses the same heap and sort as TF so equal scores come out in
// the same order.
#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <queue>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runtime/kernel.h"
#include "runtime/kernels/box_util.h"
#include "runtime/kernels/nn_util.h"

namespace tfmodel::runtime {
namespace {

using nn::ShapeStr;

// Reads a real scalar of any floating dtype as float.
absl::StatusOr<float> RealScalar(KernelContext* ctx, int i, const char* what) {
  const Tensor& t = ctx->input(i);
  if (t.rank() != 0) {
    return ctx->Error(absl::StrCat(what, " must be 0-D, got shape ", ShapeStr(t)));
  }
  switch (t.dtype()) {
    case DType::kFloat:
      return t.scalar<float>();
    case DType::kDouble:
      return static_cast<float>(t.scalar<double>());
    case DType::kHalf:
      return t.scalar<Half>().ToFloat();
    case DType::kBFloat16:
      return t.scalar<BFloat16>().ToFloat();
    default:
      return ctx->Error(
          absl::StrCat(what, " must be a floating-point scalar, got ", DTypeName(t.dtype())));
  }
}

absl::StatusOr<int> MaxOutputSize(KernelContext* ctx, int i, const char* what) {
  const Tensor& t = ctx->input(i);
  if (t.rank() != 0 || t.dtype() != DType::kInt32) {
    return ctx->Error(absl::StrCat(what, " must be an int32 scalar (0-D), got ",
                                   DTypeName(t.dtype()), " ", ShapeStr(t)));
  }
  return t.scalar<int32_t>();
}

// Float copy of a float or half tensor.
std::vector<float> Floats(const Tensor& t) {
  std::vector<float> v(static_cast<size_t>(t.NumElements()));
  if (t.dtype() == DType::kHalf) {
    for (size_t i = 0; i < v.size(); ++i) v[i] = t.data<Half>()[i].ToFloat();
  } else {
    for (size_t i = 0; i < v.size(); ++i) v[i] = t.data<float>()[i];
  }
  return v;
}

struct NmsParams {
  float iou_threshold = 0.5f;
  float score_threshold = std::numeric_limits<float>::lowest();
  float soft_nms_sigma = 0.0f;
  bool half = false;  // round every score operation to half precision
};

struct NmsResult {
  std::vector<int32_t> indices;
  std::vector<float> scores;
};

template <typename Similarity>
NmsResult GreedyNms(const std::vector<float>& scores, int max_output, const NmsParams& p,
                    const Similarity& similarity) {
  auto round = [&p](float v) { return p.half ? Half::FromFloat(v).ToFloat() : v; };
  struct Candidate {
    int index;
    float score;
    int suppress_begin;
  };
  auto cmp = [](const Candidate& a, const Candidate& b) {
    return (a.score == b.score && a.index > b.index) || a.score < b.score;
  };
  std::priority_queue<Candidate, std::deque<Candidate>, decltype(cmp)> queue(cmp);
  for (int i = 0; i < static_cast<int>(scores.size()); ++i) {
    if (scores[i] > p.score_threshold) queue.push({i, scores[i], 0});
  }
  const bool soft = p.soft_nms_sigma > 0;
  const float scale = soft ? round(-0.5f / p.soft_nms_sigma) : 0.0f;
  NmsResult r;
  while (static_cast<int>(r.indices.size()) < max_output && !queue.empty()) {
    Candidate c = queue.top();
    queue.pop();
    const float original = c.score;
    bool hard_suppressed = false;
    for (int j = static_cast<int>(r.indices.size()) - 1; j >= c.suppress_begin; --j) {
      const float sim = round(similarity(c.index, r.indices[j]));
      const float weight = round(std::exp(round(round(scale * sim) * sim)));
      c.score = round(c.score * ((soft || sim <= p.iou_threshold) ? weight : 0.0f));
      if (!soft && sim > p.iou_threshold) {
        hard_suppressed = true;
        break;
      }
      if (c.score <= p.score_threshold) break;
    }
    c.suppress_begin = static_cast<int>(r.indices.size());
    if (hard_suppressed) continue;
    if (c.score == original) {
      r.indices.push_back(c.index);
      r.scores.push_back(c.score);
    } else if (c.score > p.score_threshold) {
      queue.push(c);
    }
  }
  return r;
}

absl::Status CheckBoxesAndScores(KernelContext* ctx, const Tensor& boxes, const Tensor& scores,
                                 int64_t* num_boxes) {
  if (boxes.rank() != 2 || boxes.dim(1) != 4) {
    return ctx->Error(
        absl::StrCat("boxes must be 2-D [num_boxes, 4], got shape ", ShapeStr(boxes)));
  }
  *num_boxes = boxes.dim(0);
  if (scores.rank() != 1 || scores.dim(0) != *num_boxes) {
    return ctx->Error(absl::StrCat("scores must be 1-D with ", *num_boxes,
                                   " entries (one per box), got shape ", ShapeStr(scores)));
  }
  if (*num_boxes > std::numeric_limits<int>::max()) {
    return ctx->Error(absl::StrCat("too many boxes: ", *num_boxes));
  }
  for (const Tensor* t : {&boxes, &scores}) {
    if (t->dtype() != DType::kFloat && t->dtype() != DType::kHalf) {
      return ctx->Error(
          absl::StrCat("boxes and scores must be float or half, got ", DTypeName(t->dtype())));
    }
  }
  if (boxes.dtype() != scores.dtype()) {
    return ctx->Error(absl::StrCat("boxes (", DTypeName(boxes.dtype()), ") and scores (",
                                   DTypeName(scores.dtype()), ") must have the same dtype"));
  }
  return absl::OkStatus();
}

void Emit(KernelContext* ctx, NmsResult r, int max_output, bool pad, DType score_dtype,
          bool with_scores, bool with_count) {
  const int valid = static_cast<int>(r.indices.size());
  if (pad) {
    r.indices.resize(max_output, 0);
    r.scores.resize(max_output, 0.0f);
  }
  int out = 0;
  ctx->set_output(out++, Tensor::FromVector<int32_t>(r.indices));
  if (with_scores) {
    if (score_dtype == DType::kHalf) {
      std::vector<Half> h(r.scores.size());
      for (size_t i = 0; i < h.size(); ++i) h[i] = Half::FromFloat(r.scores[i]);
      ctx->set_output(out++, Tensor::FromVector<Half>(h));
    } else {
      ctx->set_output(out++, Tensor::FromVector<float>(r.scores));
    }
  }
  if (with_count) ctx->set_output(out++, Tensor::Scalar<int32_t>(valid));
}

// V1 (attr iou_threshold), V2 .. V5 (thresholds as inputs).
absl::StatusOr<std::unique_ptr<OpKernel>> MakeNms(const KernelInit& init) {
  const std::string& op = init.op();
  const int version = op == "NonMaxSuppression" ? 1 : op.back() - '0';
  float attr_iou = 0.5f;
  bool pad = false;
  if (version == 1) TFM_RETURN_IF_ERROR(init.GetAttrOr("iou_threshold", &attr_iou));
  if (version >= 4) TFM_RETURN_IF_ERROR(init.GetAttrOr("pad_to_max_output_size", &pad));
  const int inputs = version == 1 ? 3 : version == 2 ? 4 : version == 5 ? 6 : 5;
  return MakeKernel([=](KernelContext* ctx) -> absl::Status {
    if (ctx->num_inputs() != inputs) {
      return ctx->Error(absl::StrCat("expects ", inputs, " inputs, got ", ctx->num_inputs()));
    }
    const Tensor& boxes = ctx->input(0);
    const Tensor& scores = ctx->input(1);
    TFM_ASSIGN_OR_RETURN(const int max_output, MaxOutputSize(ctx, 2, "max_output_size"));
    NmsParams p;
    p.iou_threshold = attr_iou;
    if (version >= 2) {
      TFM_ASSIGN_OR_RETURN(p.iou_threshold, RealScalar(ctx, 3, "iou_threshold"));
    }
    if (version >= 3) {
      TFM_ASSIGN_OR_RETURN(p.score_threshold, RealScalar(ctx, 4, "score_threshold"));
    }
    if (version == 5) {
      TFM_ASSIGN_OR_RETURN(p.soft_nms_sigma, RealScalar(ctx, 5, "soft_nms_sigma"));
      if (!(p.soft_nms_sigma >= 0)) return ctx->Error("soft_nms_sigma must be >= 0");
    }
    if (!(p.iou_threshold >= 0 && p.iou_threshold <= 1)) {
      return ctx->Error(absl::StrCat("iou_threshold must be in [0, 1], got ", p.iou_threshold));
    }
    int64_t n = 0;
    TFM_RETURN_IF_ERROR(CheckBoxesAndScores(ctx, boxes, scores, &n));
    if (max_output < 0) return ctx->Error("output size must be non-negative");
    p.half = scores.dtype() == DType::kHalf;
    if (p.half) {
      // Thresholds convert to half like TF's static_cast<Eigen::half>; the implicit
      // threshold of V1/V2 is the lowest half, -65504.
      for (float* v : {&p.iou_threshold, &p.score_threshold, &p.soft_nms_sigma}) {
        *v = Half::FromFloat(*v).ToFloat();
      }
      if (version < 3) p.score_threshold = -65504.0f;
    }
    const std::vector<float> b = Floats(boxes);
    NmsResult r = GreedyNms(Floats(scores), max_output, p, [&b](int i, int j) {
      return BoxIou(&b[4 * static_cast<size_t>(i)], &b[4 * static_cast<size_t>(j)]);
    });
    Emit(ctx, std::move(r), max_output, pad, scores.dtype(), version == 5, version >= 4);
    return absl::OkStatus();
  });
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakeNmsWithOverlaps(const KernelInit& init) {
  return MakeKernel([](KernelContext* ctx) -> absl::Status {
    if (ctx->num_inputs() != 5) return ctx->Error("expects 5 inputs");
    const Tensor& overlaps = ctx->input(0);
    const Tensor& scores = ctx->input(1);
    if (overlaps.dtype() != DType::kFloat || overlaps.rank() != 2 ||
        overlaps.dim(0) != overlaps.dim(1)) {
      return ctx->Error(absl::StrCat("overlaps must be a square 2-D float tensor, got ",
                                     DTypeName(overlaps.dtype()), " ", ShapeStr(overlaps)));
    }
    const int64_t n = overlaps.dim(0);
    if (scores.dtype() != DType::kFloat || scores.rank() != 1 || scores.dim(0) != n) {
      return ctx->Error(absl::StrCat("scores must be 1-D float with ", n, " entries, got ",
                                     DTypeName(scores.dtype()), " ", ShapeStr(scores)));
    }
    if (n > std::numeric_limits<int>::max()) return ctx->Error("too many boxes");
    TFM_ASSIGN_OR_RETURN(const int max_output, MaxOutputSize(ctx, 2, "max_output_size"));
    NmsParams p;
    TFM_ASSIGN_OR_RETURN(p.iou_threshold, RealScalar(ctx, 3, "overlap_threshold"));
    TFM_ASSIGN_OR_RETURN(p.score_threshold, RealScalar(ctx, 4, "score_threshold"));
    if (max_output < 0) return ctx->Error("output size must be non-negative");
    const float* o = overlaps.data<float>();
    NmsResult r =
        GreedyNms(Floats(scores), max_output, p, [o, n](int i, int j) { return o[i * n + j]; });
    Emit(ctx, std::move(r), max_output, false, DType::kFloat, false, false);
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterCombinedNmsKernel(KernelRegistry& r);  // combined_nms.cc

void RegisterNmsKernels(KernelRegistry& r) {
  for (const char* op : {"NonMaxSuppression", "NonMaxSuppressionV2", "NonMaxSuppressionV3",
                         "NonMaxSuppressionV4", "NonMaxSuppressionV5"}) {
    r.Register(op, MakeNms);
  }
  r.Register("NonMaxSuppressionWithOverlaps", MakeNmsWithOverlaps);
  RegisterCombinedNmsKernel(r);
}

}  // namespace tfmodel::runtime
