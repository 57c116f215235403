// The save/restore subgraph TF1's tf.train.Saver adds (V2 checkpoints), so that graphs we
// write restore their variables in TensorFlow exactly as TF-written ones do.
#ifndef TFMODEL_GRAPH_SAVER_H_
#define TFMODEL_GRAPH_SAVER_H_

#include <string>
#include <vector>

#include "core/tensor.h"
#include "graph/graph_builder.h"
#include "tensorflow/core/protobuf/saver.pb.h"

namespace tfmodel {

struct SaverVariable {
  std::string node;            // VariableV2 or VarHandleOp node name
  std::string checkpoint_key;  // key in the bundle (TF1: the node name)
  DType dtype = DType::kFloat;
  TensorShape shape;
  bool resource = false;  // VarHandleOp (assign with AssignVariableOp)
};

// Adds nodes under "save/" and returns the SaverDef pointing at them:
// filename "save/Const:0", save "save/control_dependency:0", restore "save/restore_all".
tensorflow::SaverDef AddSaver(GraphBuilder& b, const std::vector<SaverVariable>& vars);

}  // namespace tfmodel

#endif  // TFMODEL_GRAPH_SAVER_H_
