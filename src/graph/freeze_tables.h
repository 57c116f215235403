// Lookup tables in frozen graphs. A SavedModel's tables (feature-column and Keras
// StringLookup / IntegerLookup vocabularies, TextVectorization, tf.Transform's
// compute_and_apply_vocabulary) are filled by its init op: InitializeTableV2 from constants
// or InitializeTableFromTextFileV2 from an asset file. Pruning to the outputs keeps the
// HashTableV2 and its LookupTableFindV2 but not the initializer, so the frozen graph would
// fail with "Table not initialized". This makes each table's contents constant instead:
//
//   table <- InitializeTableV2(table, Const keys, Const values)   (file read at freeze time)
//   init_all_tables = NoOp(^every initializer)
//
// the shape TF's own tables_initializer() gives (a NoOp named init_all_tables). TensorFlow
// users run that node once after importing the graph; tfmodel runs every table initializer
// of a plain GraphDef when loading it. Tables whose contents are not constant (mutable
// tables, keys computed at run time, missing files) are refused with an error naming them.
#ifndef TFMODEL_GRAPH_FREEZE_TABLES_H_
#define TFMODEL_GRAPH_FREEZE_TABLES_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tensorflow/core/framework/graph.pb.h"

namespace tfmodel {

inline constexpr char kTablesInitializerName[] = "init_all_tables";

bool IsTableInitializerOp(const std::string& op);

// `full` is the graph before pruning (it holds the initializers); `frozen` the pruned graph,
// changed in place. `asset_files` maps asset tensor names ("Const_3:0") to the files they
// stand for (a SavedModel's assets/); a filename Const not listed there is read as a path.
// `tables` (optional) receives the names of the tables made constant.
absl::Status FreezeTableInitializers(const tensorflow::GraphDef& full,
                                     const std::map<std::string, std::string>& asset_files,
                                     tensorflow::GraphDef* frozen,
                                     std::vector<std::string>* tables = nullptr);

}  // namespace tfmodel

#endif  // TFMODEL_GRAPH_FREEZE_TABLES_H_
