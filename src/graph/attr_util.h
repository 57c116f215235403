// Building tensorflow.AttrValue values.
#ifndef TFMODEL_GRAPH_ATTR_UTIL_H_
#define TFMODEL_GRAPH_ATTR_UTIL_H_

#include <string>
#include <vector>

#include "core/tensor.h"
#include "tensorflow/core/framework/attr_value.pb.h"

namespace tfmodel {

tensorflow::AttrValue AttrI(int64_t v);
tensorflow::AttrValue AttrF(float v);
tensorflow::AttrValue AttrB(bool v);
tensorflow::AttrValue AttrS(const std::string& v);
tensorflow::AttrValue AttrType(DType v);
tensorflow::AttrValue AttrShape(const PartialShape& v);
tensorflow::AttrValue AttrTensor(const Tensor& v);
tensorflow::AttrValue AttrIList(const std::vector<int64_t>& v);
tensorflow::AttrValue AttrFList(const std::vector<float>& v);
tensorflow::AttrValue AttrTypeList(const std::vector<DType>& v);
tensorflow::AttrValue AttrSList(const std::vector<std::string>& v);
tensorflow::AttrValue AttrFunc(const std::string& name);

}  // namespace tfmodel

#endif  // TFMODEL_GRAPH_ATTR_UTIL_H_
