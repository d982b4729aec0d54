"""skmlp: a drop-in, faster and richer scikit-learn MLPClassifier in NumPy."""

from ._classifier import NumpyMLPClassifier
from ._onnx import register_onnx_converter, to_onnx

__version__ = "0.1.0"

__all__ = ["NumpyMLPClassifier", "register_onnx_converter", "to_onnx", "__version__"]
