// libFuzzer target: saved_model.pb bytes -> the SavedModel reader (MetaGraphDef chosen by
// tags, variables, assets, init op) -> signature extraction and the plan of every
// signature, as loading a model does (Model::LoadMetaGraph without a checkpoint). No init
// op or signature is run.
// Built and run by scripts/fuzz.sh (-DTFMODEL_FUZZ=ON); not part of the library or CI.
#include <cstdint>
#include <string>

#include "core/fuzz_util.h"
#include "format/saved_model.h"
#include "runtime/model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  tfmodel::fuzz::Init();
  const std::string dir = tfmodel::fuzz::TempDir();
  tfmodel::fuzz::WriteFile(dir + "/saved_model.pb", data, size);
  auto tags = tfmodel::DefaultTagSet(dir);
  if (!tags.ok()) return 0;
  auto artifact = tfmodel::ReadModelArtifact(dir, *tags);
  if (!artifact.ok()) return 0;
  tensorflow::MetaGraphDef meta = std::move(artifact->meta_graph);
  // Op definitions are registered process-wide; keep them out so runs stay independent.
  meta.mutable_meta_info_def()->clear_stripped_op_list();
  tfmodel::runtime::LoadOptions options;
  options.intra_op_threads = 1;
  options.inter_op_threads = 1;
  auto model = tfmodel::runtime::Model::LoadMetaGraph(std::move(meta), "", options);
  if (model.ok()) (void)(*model)->signatures().size();
  return 0;
}
