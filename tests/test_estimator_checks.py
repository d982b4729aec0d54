"""scikit-learn's estimator checks.

``dtype=np.float64`` passes every check with no expected failure.

The float32 default passes every check but the two sample-weight
equivalence checks: they compare ``predict_proba`` of a model fitted with
integer weights and of one fitted on repeated rows at ``rtol=1e-7``.  Those
two float32 fits round differently (their batches differ in size and order,
and OpenBLAS rounds a row of a float32 product differently depending on
both), and 200 Adam epochs amplify that rounding: measured on the check's
own data, the probabilities differ by 7e-7 to 1.2e-3 depending on the seed
(float64: 1e-15; ``benchmarks/float32_sample_weight.py``).  A float32 model
passes that check only by luck.  They are listed as strict
expected failures, so that the suite reports it if they start passing, and
a test below bounds the gap.
"""

import numpy as np
import pytest
from sklearn.utils import shuffle
from sklearn.utils.estimator_checks import parametrize_with_checks

from skmlp import NumpyMLPClassifier

FLOAT32_SAMPLE_WEIGHT_EQUIVALENCE = {
    name: "float32 rounding, amplified over training; the check asks rtol=1e-7"
    for name in (
        "check_sample_weight_equivalence_on_dense_data",
        "check_sample_weight_equivalence_on_sparse_data",
    )
}


def _expected_failures(estimator):
    if np.dtype(estimator.dtype) == np.float32:
        return FLOAT32_SAMPLE_WEIGHT_EQUIVALENCE
    return {}


@parametrize_with_checks(
    [NumpyMLPClassifier(dtype=np.float64), NumpyMLPClassifier()],
    expected_failed_checks=_expected_failures,
    xfail_strict=True,
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("seed", range(4))
def test_float32_weighted_and_repeated_fits_agree_closely(seed):
    # The data of check_sample_weight_equivalence_on_dense_data.
    rng = np.random.RandomState(42)
    X = rng.rand(15, 30)
    y = rng.randint(0, 3, size=15)
    sw = rng.randint(0, 5, size=15)
    X_rep, y_rep = X.repeat(sw, axis=0), y.repeat(sw)
    X_w, y_w, sw_w = shuffle(X, y, sw, random_state=0)
    for dtype, atol in [(np.float32, 1e-3), (np.float64, 1e-12)]:
        rep = NumpyMLPClassifier(random_state=seed, dtype=dtype).fit(X_rep, y_rep)
        wei = NumpyMLPClassifier(random_state=seed, dtype=dtype).fit(
            X_w, y_w, sample_weight=sw_w
        )
        assert rep.n_iter_ == wei.n_iter_
        np.testing.assert_allclose(
            rep.predict_proba(X), wei.predict_proba(X), rtol=0, atol=atol
        )
