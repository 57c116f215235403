"""Uses tfmodel from Python: loads TF Serving's half_plus_two SavedModel, runs
serving_default (y = 0.5 * x + 2), freezes it, exports the frozen graph as a new versioned
SavedModel, converts that to .tflite, and runs both results.

    PYTHONPATH=python TFMODEL_LIBRARY=build/libtfmodel.so \
        python3 examples/python/half_plus_two.py SAVED_MODEL_DIR WORK_DIR

Prints "y = [2.5, 3.0, 4.5]" three times (original, exported, .tflite) and exits 0.
"""

import sys

import numpy as np

import tfmodel


def show(label, model):
    x = np.array([[1.0], [2.0], [5.0]], dtype=np.float32)
    y = model.signatures["serving_default"](x=x)["y"]
    print("%s: y = %s" % (label, y.reshape(-1).tolist()))


def main(saved_model, work):
    print("tfmodel", tfmodel.__version__)
    show("original", tfmodel.load(saved_model))
    frozen = tfmodel.freeze(input_saved_model_dir=saved_model,
                            output_graph=work + "/frozen.pb")
    exported = tfmodel.export(input_graph=frozen, export_base=work + "/half_plus_two",
                              signature="serving_default: inputs x=x:0; outputs y=y:0")
    print("exported", exported)
    show("exported", tfmodel.load(exported))
    lite = tfmodel.convert(saved_model_dir=exported, output_file=work + "/half_plus_two.tflite")
    show("tflite", tfmodel.load(lite))
    try:
        tfmodel.load(work + "/missing")
    except tfmodel.Error as e:
        print("missing model:", e.code_name)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: half_plus_two.py SAVED_MODEL_DIR WORK_DIR")
    sys.exit(main(sys.argv[1], sys.argv[2]))
