#include "tflite/ops/lstm_integer.h"

namespace tfmodel::tflite::lstm {

struct IntegerLstm {};

absl::StatusOr<std::shared_ptr<const IntegerLstm>> PrepareIntegerLstm(OpBuilder& b,
                                                                      const DirectionLayout&,
                                                                      const Dims&, float, float) {
  return b.Unsupported("full-integer LSTM (not yet implemented)");
}

absl::Status RunIntegerLstm(const IntegerLstm&, const std::vector<const Tensor*>&, const Tensor&,
                            bool, Tensor*) {
  return absl::UnimplementedError("full-integer LSTM");
}

}  // namespace tfmodel::tflite::lstm
