"""Dev-only: write weight-free ONNX fixtures of Keras models with tf2onnx (tests/fixtures/onnx/keras_*).

Each model is built in Keras 3, traced as a tf.function and converted by tf2onnx (its
`from_keras` does not read Keras 3 models; `from_function` does), batch axis symbolic, then
stripped of its float weight data like the PyTorch fixtures. Keras's own figures are written beside
each file (<name>.json): model.count_params() and the trainable and non-trainable split, by
Keras's documented rules. Biases are drawn at random: tf2onnx's optimizer drops an Add of zeros,
which a fresh model's biases are, and the file would then hold fewer weights.

TensorFlow does not share the project's environment (its protobuf and NumPy pins differ):
    python3 -m venv /tmp/tfenv && /tmp/tfenv/bin/pip install tensorflow-cpu tf2onnx
    /tmp/tfenv/bin/python tools/make_keras_fixtures.py
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import onnx  # noqa: E402
import tensorflow as tf  # noqa: E402
import tf2onnx  # noqa: E402
from strip_weights import strip  # noqa: E402  (tools/, beside this script)

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "onnx"
RANDOM = {"bias_initializer": "random_normal"}
BN_RANDOM = {  # positive, so that the variance is one
    f"{name}_initializer": keras.initializers.RandomUniform(0.5, 1.5)
    for name in ("gamma", "beta", "moving_mean", "moving_variance")
}


def keras_cnn() -> keras.Model:
    """Channels-last convolutions (tf2onnx transposes the input to NCHW), pooling, a global pool.

    No BatchNormalization: tf2onnx folds it into a Mul and an Add by per-channel constants (2C
    numbers instead of Keras's 4C), which netcalc does not read as a layer."""
    return keras.Sequential(
        [
            keras.Input((32, 32, 3)),
            keras.layers.Conv2D(8, 3, padding="same", activation="relu", **RANDOM),
            keras.layers.MaxPooling2D(2),
            keras.layers.Conv2D(16, 3, activation="relu", **RANDOM),
            keras.layers.GlobalAveragePooling2D(),
            keras.layers.Dense(10, activation="softmax", **RANDOM),
        ]
    )


def keras_mlp() -> keras.Model:
    """Dense layers on a flat input."""
    return keras.Sequential(
        [
            keras.Input((20,)),
            keras.layers.Dense(64, activation="relu", **RANDOM),
            keras.layers.Dense(32, activation="tanh", **RANDOM),
            keras.layers.Dense(4, **RANDOM),
        ]
    )


def keras_bn() -> keras.Model:
    """BatchNormalization after a convolution and after a dense layer (inference: tf2onnx writes
    each as a Mul and an Add by per-channel constants). Every statistic is drawn at random: tf2onnx
    drops a Mul by ones and an Add of zeros, which a fresh layer's would be."""
    return keras.Sequential(
        [
            keras.Input((16, 16, 3)),
            keras.layers.Conv2D(8, 3, padding="same", **RANDOM),
            keras.layers.BatchNormalization(**BN_RANDOM),
            keras.layers.ReLU(),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(16, **RANDOM),
            keras.layers.BatchNormalization(**BN_RANDOM),
            keras.layers.ReLU(),
            keras.layers.Dense(4, **RANDOM),
        ]
    )


def keras_lstm() -> keras.Model:
    """Two stacked LSTMs, the first returning its sequence, the second its last step (tf2onnx: one
    ONNX LSTM node each, B holding Keras's one bias and zeros for the recurrent one)."""
    return keras.Sequential(
        [
            keras.Input((10, 8)),
            keras.layers.LSTM(12, return_sequences=True, **RANDOM),
            keras.layers.LSTM(6, **RANDOM),
            keras.layers.Dense(3, **RANDOM),
        ]
    )


def keras_convs() -> keras.Model:
    """Depthwise and separable convolutions (grouped Conv nodes), zero padding (a Pad of the NHWC
    input), average and global max pooling. Not UpSampling2D: tf2onnx repeats the NHWC rows and
    columns with Unsqueeze, Tile and Reshape, which netcalc does not read as an upsample."""
    return keras.Sequential(
        [
            keras.Input((16, 16, 4)),
            keras.layers.ZeroPadding2D(1),
            keras.layers.DepthwiseConv2D(3, **RANDOM),
            keras.layers.SeparableConv2D(8, 3, padding="same", activation="relu", **RANDOM),
            keras.layers.AveragePooling2D(2),
            keras.layers.Conv2D(4, 1, **RANDOM),
            keras.layers.GlobalMaxPooling2D(),
            keras.layers.Dense(3, activation="softmax", **RANDOM),
        ]
    )


def keras_seq() -> keras.Model:
    """Token ids through an Embedding (tf2onnx maps negative ids first), a Conv1D (a 2-D Conv
    between Unsqueeze and Squeeze, its bias added after), Flatten and Dense."""
    return keras.Sequential(
        [
            keras.Input((12,), dtype="int32"),
            keras.layers.Embedding(40, 8),
            keras.layers.Conv1D(16, 3, padding="same", activation="relu", **RANDOM),
            keras.layers.Flatten(),
            keras.layers.Dense(2, **RANDOM),
        ]
    )


def keras_norm() -> keras.Model:
    """LayerNormalization on tokens (tf2onnx decomposes it), Flatten, Dense. Not read yet, so not
    here: GlobalAveragePooling1D (a ReduceMean over the tokens) and a Dense on tokens (tf2onnx's
    Tensordot: Reshape to (N * T, D), MatMul, Reshape back, Add)."""
    return keras.Sequential(
        [
            keras.Input((12, 8)),
            keras.layers.LayerNormalization(
                beta_initializer="random_normal", gamma_initializer="random_normal"
            ),
            keras.layers.Flatten(),
            keras.layers.Dense(2, **RANDOM),
        ]
    )


def keras_tokens() -> keras.Model:
    """Dense layers on tokens (tf2onnx's Tensordot: Reshape to (N * T, D), MatMul, Reshape back to
    (N, T, U), Add of the bias), then Flatten and Dense."""
    return keras.Sequential(
        [
            keras.Input((12, 8)),
            keras.layers.Dense(16, activation="relu", **RANDOM),
            keras.layers.Dense(4, **RANDOM),
            keras.layers.Flatten(),
            keras.layers.Dense(2, **RANDOM),
        ]
    )


def keras_upsample() -> keras.Model:
    """UpSampling2D with bilinear interpolation between two convolutions: tf2onnx writes it as a
    Resize (linear, half_pixel) of the NCHW activations. The default nearest interpolation is
    Unsqueeze, Tile, Transpose and Reshape of the rows instead, which netcalc does not read yet."""
    return keras.Sequential(
        [
            keras.Input((8, 8, 4)),
            keras.layers.Conv2D(4, 3, padding="same", **RANDOM),
            keras.layers.UpSampling2D(2, interpolation="bilinear"),
            keras.layers.Conv2D(2, 1, **RANDOM),
        ]
    )


MODELS = {
    "keras_cnn": keras_cnn,
    "keras_mlp": keras_mlp,
    "keras_bn": keras_bn,
    "keras_lstm": keras_lstm,
    "keras_convs": keras_convs,
    "keras_seq": keras_seq,
    "keras_norm": keras_norm,
    "keras_tokens": keras_tokens,
    "keras_upsample": keras_upsample,
}
INT_INPUTS = ("keras_seq",)  # token ids


def main() -> None:
    keras.utils.set_random_seed(0)
    for name in sys.argv[1:] or list(MODELS):
        model = MODELS[name]()
        sample = tuple(model.input_shape[1:])
        dtype = tf.int32 if name in INT_INPUTS else tf.float32
        spec = (tf.TensorSpec((None, *sample), dtype, name="input"),)
        proto, _ = tf2onnx.convert.from_function(
            tf.function(lambda x, model=model: model(x, training=False)), input_signature=spec, opset=17
        )
        # an LSTM's B keeps its data: its zero half says Keras's one bias (the importer's bias: single)
        strip(proto, keep={n.input[3] for n in proto.graph.node if n.op_type == "LSTM" and len(n.input) > 3})
        path = OUT / f"{name}.onnx"
        onnx.save(proto, str(path))
        trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
        info = {
            "framework": f"keras {keras.__version__}, tensorflow {tf.__version__}, "
            f"tf2onnx {tf2onnx.__version__}",
            "sample": list(sample),
            "params": model.count_params(),
            "trainable": trainable,
            "non_trainable": model.count_params() - trainable,
        }
        (OUT / f"{name}.json").write_text(json.dumps(info, indent=2) + "\n")
        print(name, path.stat().st_size, "bytes", info, file=sys.stderr)


if __name__ == "__main__":
    main()
