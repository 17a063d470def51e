"""Fashion-MNIST for the Python tests and the notebook: Debian's
dataset-fashion-mnist (IDX files), read with numpy; a deterministic
synthetic stand-in when it is not installed."""
import gzip
import os

import numpy as np

FOLDER = os.environ.get("GRADTAP_FASHION_MNIST", "/usr/share/datasets/fashion-mnist")


def _idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(train_size, test_size, seed=0):
    """(x_train, y_train, x_test, y_test, name): float32 images in [0, 1] of
    shape (n, 1, 28, 28) and int64 labels."""
    try:
        images = _idx(os.path.join(FOLDER, "train-images-idx3-ubyte.gz"))
        labels = _idx(os.path.join(FOLDER, "train-labels-idx1-ubyte.gz"))
        test_images = _idx(os.path.join(FOLDER, "t10k-images-idx3-ubyte.gz"))
        test_labels = _idx(os.path.join(FOLDER, "t10k-labels-idx1-ubyte.gz"))
        name = "fashion-mnist"
    except OSError:
        rng = np.random.default_rng(seed)
        centres = rng.random((10, 28, 28))
        labels = rng.integers(0, 10, 60000).astype(np.uint8)
        images = np.clip(centres[labels] * 255 + rng.normal(0, 60, (60000, 28, 28)), 0, 255).astype(np.uint8)
        test_labels = labels[:10000]
        test_images = images[:10000]
        name = "synthetic"
    scale = np.float32(1.0 / 255)
    x = images[:train_size].astype(np.float32)[:, None] * scale
    xt = test_images[:test_size].astype(np.float32)[:, None] * scale
    return x, labels[:train_size].astype(np.int64), xt, test_labels[:test_size].astype(np.int64), name
