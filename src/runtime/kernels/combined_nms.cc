// CombinedNonMaxSuppression (tf.image.combined_non_max_suppression): per image and class,
// greedy hard NMS keeping at most min(max_output_size_per_class, num_boxes) boxes with
// score > score_threshold; then per image the candidates of all classes sorted by score,
// the top max_total_size (or min(max_total_size, per_class * classes) with pad_per_class)
// kept, boxes clipped to [0, 1] with clip_boxes, and the rest zero-padded. The heap and sort
// are the ones TF uses, so equal scores keep TF's order.
#include <algorithm>
#include <cmath>
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

struct Detection {
  int box = -1;
  float score = -std::numeric_limits<float>::infinity();
  int cls = -1;
  float coords[4] = {0, 0, 0, 0};
};

struct Geometry {
  int64_t batch = 0, boxes = 0, q = 0, classes = 0;
  int size_per_class = 0;
  float iou_threshold = 0, score_threshold = 0;
};

// One class of one image: fills slots [cls * size_per_class, ...) of `out`.
void ClassNms(const float* boxes, const float* scores, const Geometry& g, int cls,
              std::vector<Detection>* out) {
  struct Candidate {
    int box;
    float score;
  };
  auto cmp = [](const Candidate& a, const Candidate& b) { return a.score < b.score; };
  std::priority_queue<Candidate, std::vector<Candidate>, decltype(cmp)> queue(cmp);
  for (int i = 0; i < g.boxes; ++i) {
    const float s = scores[i * g.classes + cls];
    if (s > g.score_threshold) queue.push({i, s});
  }
  const int64_t box_cls = g.q > 1 ? cls : 0;
  std::vector<int> selected;
  while (static_cast<int>(selected.size()) < g.size_per_class && !queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    const float* cb = boxes + (c.box * g.q + box_cls) * 4;
    bool keep = true;
    for (int j = static_cast<int>(selected.size()) - 1; j >= 0; --j) {
      if (BoxIou(cb, boxes + (selected[j] * g.q + box_cls) * 4) > g.iou_threshold) {
        keep = false;
        break;
      }
    }
    if (!keep) continue;
    Detection& d = (*out)[selected.size() + static_cast<size_t>(g.size_per_class) * cls];
    d.box = c.box;
    d.score = c.score;
    d.cls = cls;
    std::copy(cb, cb + 4, d.coords);
    selected.push_back(c.box);
  }
}

absl::StatusOr<int> IntScalar(KernelContext* ctx, int i, const char* what) {
  const Tensor& t = ctx->input(i);
  if (t.rank() != 0 || t.dtype() != DType::kInt32) {
    return ctx->Error(absl::StrCat(what, " must be an int32 scalar (0-D), got ",
                                   DTypeName(t.dtype()), " ", ShapeStr(t)));
  }
  return t.scalar<int32_t>();
}

absl::StatusOr<float> FloatScalar(KernelContext* ctx, int i, const char* what) {
  const Tensor& t = ctx->input(i);
  if (t.rank() != 0 || t.dtype() != DType::kFloat) {
    return ctx->Error(absl::StrCat(what, " must be a float scalar (0-D), got ",
                                   DTypeName(t.dtype()), " ", ShapeStr(t)));
  }
  return t.scalar<float>();
}

absl::Status CheckShapes(KernelContext* ctx, Geometry* g) {
  const Tensor& boxes = ctx->input(0);
  const Tensor& scores = ctx->input(1);
  if (boxes.dtype() != DType::kFloat || scores.dtype() != DType::kFloat) {
    return ctx->Error("boxes and scores must be float");
  }
  if (boxes.rank() != 4) {
    return ctx->Error(
        absl::StrCat("boxes must be 4-D [batch, num_boxes, q, 4], got shape ", ShapeStr(boxes)));
  }
  if (scores.rank() != 3) {
    return ctx->Error(absl::StrCat("scores must be 3-D [batch, num_boxes, num_classes], got shape ",
                                   ShapeStr(scores)));
  }
  g->batch = boxes.dim(0);
  g->boxes = boxes.dim(1);
  g->q = boxes.dim(2);
  g->classes = scores.dim(2);
  if (g->q != 1 && g->q != g->classes) {
    return ctx->Error(absl::StrCat("third dimension of boxes must be either 1 or num classes (",
                                   g->classes, "), got ", ShapeStr(boxes)));
  }
  if (boxes.dim(3) != 4) return ctx->Error("boxes must have 4 columns");
  if (scores.dim(1) != g->boxes) {
    return ctx->Error(absl::StrCat("scores has incompatible shape ", ShapeStr(scores),
                                   " for boxes ", ShapeStr(boxes)));
  }
  if (scores.dim(0) != g->batch) return ctx->Error("boxes and scores must have same batch size");
  if (g->boxes > std::numeric_limits<int>::max() || g->classes > std::numeric_limits<int>::max()) {
    return ctx->Error("too many boxes or classes");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<OpKernel>> MakeCombinedNms(const KernelInit& init) {
  bool pad_per_class = false, clip_boxes = true;
  TFM_RETURN_IF_ERROR(init.GetAttrOr("pad_per_class", &pad_per_class));
  TFM_RETURN_IF_ERROR(init.GetAttrOr("clip_boxes", &clip_boxes));
  return MakeKernel([pad_per_class, clip_boxes](KernelContext* ctx) -> absl::Status {
    if (ctx->num_inputs() != 6) return ctx->Error("expects 6 inputs");
    Geometry g;
    TFM_RETURN_IF_ERROR(CheckShapes(ctx, &g));
    TFM_ASSIGN_OR_RETURN(const int per_class, IntScalar(ctx, 2, "max_size_per_class"));
    if (per_class <= 0) return ctx->Error("max_size_per_class must be positive");
    TFM_ASSIGN_OR_RETURN(const int total, IntScalar(ctx, 3, "max_total_size"));
    if (total <= 0) return ctx->Error("max_total_size must be > 0");
    TFM_ASSIGN_OR_RETURN(g.iou_threshold, FloatScalar(ctx, 4, "iou_threshold"));
    TFM_ASSIGN_OR_RETURN(g.score_threshold, FloatScalar(ctx, 5, "score_threshold"));
    if (!(g.iou_threshold >= 0 && g.iou_threshold <= 1)) {
      return ctx->Error("iou_threshold must be in [0, 1]");
    }
    g.size_per_class = static_cast<int>(std::min<int64_t>(per_class, g.boxes));
    const int64_t slots = static_cast<int64_t>(g.size_per_class) * g.classes;
    if (slots > std::numeric_limits<int>::max()) {
      return ctx->Error("size_per_class * num_classes causes overflow");
    }
    const int64_t max_total = std::min<int64_t>(std::numeric_limits<int>::max(),
                                                static_cast<int64_t>(per_class) * g.classes);
    const int64_t per_batch = pad_per_class ? std::min<int64_t>(total, max_total) : total;
    // The outputs are always [batch, per_batch, ...]: refuse sizes no memory can hold.
    if (g.batch > (int64_t{1} << 28) || g.batch * per_batch > (int64_t{1} << 28)) {
      return ctx->Error(absl::StrCat("max_total_size ", total, " x batch ", g.batch,
                                     " gives outputs too large to allocate"));
    }
    Tensor out_boxes = Tensor::Empty(DType::kFloat, TensorShape{g.batch, per_batch, 4});
    Tensor out_scores = Tensor::Empty(DType::kFloat, TensorShape{g.batch, per_batch});
    Tensor out_classes = Tensor::Empty(DType::kFloat, TensorShape{g.batch, per_batch});
    Tensor out_valid = Tensor::Empty(DType::kInt32, TensorShape{g.batch});
    const float* boxes = ctx->input(0).data<float>();
    const float* scores = ctx->input(1).data<float>();
    for (int64_t b = 0; b < g.batch; ++b) {
      std::vector<Detection> found(static_cast<size_t>(slots));
      for (int c = 0; c < g.classes; ++c) {
        ClassNms(boxes + b * g.boxes * g.q * 4, scores + b * g.boxes * g.classes, g, c, &found);
      }
      std::sort(found.begin(), found.end(),
                [](const Detection& x, const Detection& y) { return y.score < x.score; });
      const int64_t real =
          std::count_if(found.begin(), found.end(), [](const Detection& d) { return d.box > -1; });
      const int64_t keep = std::min(real, pad_per_class ? per_batch : int64_t{total});
      out_valid.data<int32_t>()[b] = static_cast<int32_t>(keep);
      float* ob = out_boxes.data<float>() + b * per_batch * 4;
      float* os = out_scores.data<float>() + b * per_batch;
      float* oc = out_classes.data<float>() + b * per_batch;
      for (int64_t i = 0; i < per_batch; ++i) {
        const bool use = i < keep;
        for (int k = 0; k < 4; ++k) {
          const float v = use ? found[i].coords[k] : 0.0f;
          ob[i * 4 + k] = clip_boxes ? std::max(std::min(v, 1.0f), 0.0f) : v;
        }
        os[i] = use ? found[i].score : 0.0f;
        oc[i] = use ? static_cast<float>(found[i].cls) : 0.0f;
      }
    }
    ctx->set_output(0, std::move(out_boxes));
    ctx->set_output(1, std::move(out_scores));
    ctx->set_output(2, std::move(out_classes));
    ctx->set_output(3, std::move(out_valid));
    return absl::OkStatus();
  });
}

}  // namespace

void RegisterCombinedNmsKernel(KernelRegistry& r) {
  r.Register("CombinedNonMaxSuppression", MakeCombinedNms);
}

}  // namespace tfmodel::runtime
