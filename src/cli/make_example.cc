// `tfmodel make-example DIR`: writes the project's own half_plus_two SavedModel as
// DIR/half_plus_two/1 (used by `make demo`).
#include <cstdio>

#include "CLI/CLI.hpp"
#include "cli/commands.h"
#include "core/file_util.h"
#include "format/saved_model_writer.h"
#include "graph/example_models.h"

namespace tfmodel::cli {

int MakeExampleMain(int argc, char** argv) {
  std::string dir;
  bool overwrite = false;
  CLI::App app{"Write the example half_plus_two SavedModel (y = 0.5*x + 2) as DIR/half_plus_two/1.",
               "tfmodel make-example"};
  app.add_option("dir", dir, "output folder (model base paths go under it)")->required();
  app.add_flag("--overwrite", overwrite, "replace an existing version folder");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  ExampleModel m = BuildHalfPlusTwo();
  std::string out = JoinPath(dir, "half_plus_two/1");
  SavedModelWriteOptions opt;
  opt.overwrite = overwrite;
  absl::Status s = WriteSavedModel(out, m.saved_model, m.variables, {}, opt);
  if (!s.ok()) {
    PrintError("make-example", s.message());
    return 1;
  }
  std::printf("wrote %s\n", out.c_str());
  return 0;
}

}  // namespace tfmodel::cli
