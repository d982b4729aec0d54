"""skmlp: a drop-in, faster and richer scikit-learn MLPClassifier in NumPy."""

from ._classifier import NumpyMLPClassifier

__version__ = "0.1.0"

__all__ = ["NumpyMLPClassifier", "__version__"]
