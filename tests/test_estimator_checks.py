"""scikit-learn's estimator checks.

``dtype=np.float64`` passes every check with no expected failure.

The float32 default passes every check but the two sample-weight
equivalence checks: they compare ``predict_proba`` of a model fitted with
integer weights and of one fitted on repeated rows at ``rtol=1e-7``, below
float32's resolution (one unit in the last place is 6e-8 to 1.2e-7
relative).  The two float32 fits differ only by the order of float32
summations and end within 1-2 ulp of each other (a test below measures
it), so that check cannot pass for any float32 model short of bit-identical
training.  They are listed as strict expected failures, so that the
suite reports it if they ever start passing.
"""

import numpy as np
from sklearn.utils import shuffle
from sklearn.utils.estimator_checks import parametrize_with_checks

from skmlp import NumpyMLPClassifier

FLOAT32_SAMPLE_WEIGHT_EQUIVALENCE = {
    name: "float32 results agree to 1-2 ulp; the check asks rtol=1e-7"
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


def test_float32_weighted_and_repeated_fits_agree_to_float32_precision():
    # The data of check_sample_weight_equivalence_on_dense_data.
    rng = np.random.RandomState(42)
    X = rng.rand(15, 30)
    y = rng.randint(0, 3, size=15)
    sw = rng.randint(0, 5, size=15)
    X_rep, y_rep = X.repeat(sw, axis=0), y.repeat(sw)
    X_w, y_w, sw_w = shuffle(X, y, sw, random_state=0)
    rep = NumpyMLPClassifier(random_state=0).fit(X_rep, y_rep)
    wei = NumpyMLPClassifier(random_state=0).fit(X_w, y_w, sample_weight=sw_w)
    assert rep.n_iter_ == wei.n_iter_
    # Two float32 ulps of the largest probability.
    np.testing.assert_allclose(
        rep.predict_proba(X), wei.predict_proba(X), rtol=0, atol=2.5e-7
    )
