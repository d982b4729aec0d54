"""Hyperparameter search that trains a whole grid at once.

:class:`GridSearchCV` and :class:`RandomizedSearchCV` are scikit-learn's
classes (same constructor, attributes and behaviour); with a
:class:`~skmlp.NumpyMLPClassifier`, or a :class:`~sklearn.pipeline.Pipeline`
ending in one, the candidate x fold fits of one network shape are trained
together as one stacked network.
"""

from ._search import GridSearchCV, RandomizedSearchCV

__all__ = ["GridSearchCV", "RandomizedSearchCV"]
