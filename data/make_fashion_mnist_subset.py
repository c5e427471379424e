"""Make data/fashion_mnist.npz: a class-balanced Fashion-MNIST subset from Debian's package.

    python data/make_fashion_mnist_subset.py            # fetches the package with apt-get download
    python data/make_fashion_mnist_subset.py DIR        # DIR holds the four official *-ubyte.gz files

It takes 600 images per class from the official training set and 200 per class
from the official test set (seed 0), after checking the SHA-256 of the four files
of `dataset-fashion-mnist` 0.0~git20200523.55506a9-1, and writes the result atomically.
"""
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

from cnn_utils import datasets

PACKAGE = "dataset-fashion-mnist"
PACKAGE_DIR = "usr/share/datasets/fashion-mnist"
SHA256 = {
    "train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
    "train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
    "t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
    "t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
}


def fetch(workdir):
    """Download and unpack the Debian package into ``workdir``; return the folder of the IDX files."""
    subprocess.run(["apt-get", "download", PACKAGE], cwd=workdir, check=True)
    deb, = Path(workdir).glob(f"{PACKAGE}_*.deb")
    subprocess.run(["dpkg-deb", "-x", str(deb), "root"], cwd=workdir, check=True)
    return Path(workdir) / "root" / PACKAGE_DIR


def verify(directory):
    for name, digest in SHA256.items():
        actual = hashlib.sha256((directory / name).read_bytes()).hexdigest()
        if actual != digest:
            raise SystemExit(f"{directory / name}: SHA-256 {actual}, expected {digest}")


def main(argv):
    with tempfile.TemporaryDirectory() as workdir:
        directory = Path(argv[1]) if len(argv) > 1 else fetch(workdir)
        verify(directory)
        subset = datasets.fashion_mnist_subset(directory, n_train=600, n_test=200, seed=0)
        datasets.save_fashion_mnist_subset(subset, datasets.FASHION_MNIST_FILE)
    print(f"wrote {datasets.FASHION_MNIST_FILE}: {len(subset['y_train'])} train, {len(subset['y_test'])} test images")


if __name__ == "__main__":
    main(sys.argv)
