#include "graph/saver.h"

#include "absl/strings/str_cat.h"

namespace tfmodel {

tensorflow::SaverDef AddSaver(GraphBuilder& b, const std::vector<SaverVariable>& vars) {
  std::string default_name = b.Const("save/filename/input", Tensor::StringScalar("model"));
  std::string filename =
      b.Op("save/Const", "PlaceholderWithDefault", {default_name},
           {{"dtype", AttrType(DType::kString)}, {"shape", AttrShape(PartialShape{})}});
  std::vector<std::string> keys, slices;
  std::vector<DType> dtypes;
  for (const auto& v : vars) {
    keys.push_back(v.checkpoint_key);
    slices.push_back("");
    dtypes.push_back(v.dtype);
  }
  int64_t n = static_cast<int64_t>(vars.size());
  std::string names = b.Const("save/SaveV2/tensor_names", Tensor::FromVector(keys));
  std::string shapes = b.Const("save/SaveV2/shape_and_slices", Tensor::FromVector(slices));
  std::vector<std::string> save_inputs = {filename, names, shapes};
  for (const auto& v : vars) {
    if (v.resource) {
      save_inputs.push_back(b.Op(v.node + "/Read/ReadVariableOp_save", "ReadVariableOp", {v.node},
                                 {{"dtype", AttrType(v.dtype)}}));
    } else {
      save_inputs.push_back(v.node);
    }
  }
  b.Op("save/SaveV2", "SaveV2", save_inputs, {{"dtypes", AttrTypeList(dtypes)}});
  b.Op("save/control_dependency", "Identity", {filename, "^save/SaveV2"},
       {{"T", AttrType(DType::kString)}, {"_class", AttrSList({"loc:@save/Const"})}});

  std::string rnames = b.Const("save/RestoreV2/tensor_names", Tensor::FromVector(keys));
  std::string rshapes = b.Const("save/RestoreV2/shape_and_slices", Tensor::FromVector(slices));
  b.Op("save/RestoreV2", "RestoreV2", {filename, rnames, rshapes},
       {{"dtypes", AttrTypeList(dtypes)}});
  std::vector<std::string> assigns;
  for (int64_t i = 0; i < n; ++i) {
    const auto& v = vars[i];
    std::string restored = absl::StrCat("save/RestoreV2:", i);
    std::string name = i == 0 ? "save/Assign" : absl::StrCat("save/Assign_", i);
    if (v.resource) {
      b.Op(name, "AssignVariableOp", {v.node, restored}, {{"dtype", AttrType(v.dtype)}});
    } else {
      b.Op(name, "Assign", {v.node, restored},
           {{"T", AttrType(v.dtype)},
            {"validate_shape", AttrB(true)},
            {"use_locking", AttrB(true)},
            {"_class", AttrSList({"loc:@" + v.node})}});
    }
    assigns.push_back("^" + name);
  }
  b.Op("save/restore_all", "NoOp", assigns);

  tensorflow::SaverDef def;
  def.set_filename_tensor_name("save/Const:0");
  def.set_save_tensor_name("save/control_dependency:0");
  def.set_restore_op_name("save/restore_all");
  def.set_max_to_keep(5);
  def.set_keep_checkpoint_every_n_hours(10000.0f);
  def.set_version(tensorflow::SaverDef::V2);
  return def;
}

}  // namespace tfmodel
