// Tensor <-> tensorflow.TensorProto / TensorShapeProto, in all of TF's encodings.
#ifndef TFMODEL_FORMAT_TENSOR_PROTO_H_
#define TFMODEL_FORMAT_TENSOR_PROTO_H_

#include "absl/status/statusor.h"
#include "core/tensor.h"
#include "tensorflow/core/framework/tensor.pb.h"
#include "tensorflow/core/framework/tensor_shape.pb.h"

namespace tfmodel {

// A fully known shape; fails on unknown rank, unknown (-1) or negative dims, or overflow.
absl::StatusOr<TensorShape> ShapeFromProto(const tensorflow::TensorShapeProto& proto);
// A possibly partial shape (signatures, placeholders).
PartialShape PartialShapeFromProto(const tensorflow::TensorShapeProto& proto);
void ShapeToProto(const TensorShape& shape, tensorflow::TensorShapeProto* proto);
void PartialShapeToProto(const PartialShape& shape, tensorflow::TensorShapeProto* proto);

// Decodes either `tensor_content` or the typed repeated fields. As in TensorFlow, a typed
// field shorter than the element count repeats its last value (an empty one means zeros).
absl::StatusOr<Tensor> TensorFromProto(const tensorflow::TensorProto& proto);

enum class TensorEncoding {
  kContent,  // tensor_content bytes for numeric types (compact; what Const nodes use)
  kTyped,    // float_val / int_val / ... (what TF Serving's JSON-free clients often send)
};
// Strings, resources and variants always use the typed fields.
void TensorToProto(const Tensor& t, tensorflow::TensorProto* proto,
                   TensorEncoding encoding = TensorEncoding::kContent);

}  // namespace tfmodel

#endif  // TFMODEL_FORMAT_TENSOR_PROTO_H_
