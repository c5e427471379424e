"""Layers, models and helpers for the cnn-course notebooks.

One concept per module; import the module you need, for example
``from cnn_utils import numpy_cnn`` or ``from cnn_utils.resnet import ResNet50``.
"""
import os

# Keep TensorFlow's C++ start-up chatter out of notebook outputs.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

__version__ = "0.1.0"
