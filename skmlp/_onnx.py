"""ONNX export of :class:`~skmlp.NumpyMLPClassifier` through ``skl2onnx``.

``skl2onnx`` converts scikit-learn's ``MLPClassifier`` out of the box but does
not know :class:`~skmlp.NumpyMLPClassifier`.  :func:`register_onnx_converter`
registers a shape calculator and a converter for it (the same graph as
skl2onnx's own ``MLPClassifier`` converter: ``MatMul`` + ``Add`` + activation
per layer), after which ``skl2onnx.to_onnx`` converts the estimator alone or
inside a pipeline.  :func:`to_onnx` registers and converts in one call.

``onnx`` and ``skl2onnx`` are optional dependencies (the ``onnx`` extra:
``pip install "skmlp[onnx]"``); they are imported only when a function of
this module is called, so ``import skmlp`` works without them.

Differences from skl2onnx's ``MLPClassifier`` converter, which mishandles
these cases:

- a binary model is recognised by its single output unit, so a multilabel
  model with two labels gets two probability columns, not ``[1 - p, p]``;
- a multilabel model's label output is declared ``[N, n_labels]``;
- integer class labels stay int64 (not truncated through int32);
- the graph computes in the precision of the sample input: float64 rows
  give a double graph (a float64 model keeps its weights exactly), any
  other rows a float32 graph;
- onnxruntime has no double kernel for ``LeakyRelu``, ``Elu``,
  ``Softplus``, ``Erf`` or ``Binarizer``: a double graph builds the first
  three from operators it has, computes GELU's ``Erf`` in float32 (about
  1e-7 relative), and thresholds multilabel probabilities with ``Greater``.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

__all__ = ["ONNX_ACTIVATIONS", "register_onnx_converter", "to_onnx"]

_ALIAS = "SkmlpNumpyMLPClassifier"


class _Graph:
    """Node-building helpers bound to one conversion (scope and container).

    Attributes
    ----------
    double : bool
        The graph computes in float64.
    """

    def __init__(self, scope, container, proto_dtype):
        from skl2onnx.proto import onnx_proto

        self.scope, self.container, self.proto_dtype = scope, container, proto_dtype
        self.double = proto_dtype == onnx_proto.TensorProto.DOUBLE

    def node(self, op_type, inputs, output=None, **attrs):
        """Add an ``op_type`` node; returns its output name."""
        output = output or self.scope.get_unique_variable_name(op_type.lower())
        self.container.add_node(
            op_type,
            inputs,
            output,
            name=self.scope.get_unique_operator_name(op_type),
            **attrs,
        )
        return output

    def const(self, value):
        """A scalar initializer of the graph's dtype; returns its name."""
        const_name = self.scope.get_unique_variable_name("const")
        self.container.add_initializer(const_name, self.proto_dtype, [], [value])
        return const_name

    def cast(self, value, to):
        """skl2onnx's Cast, as the converter uses it; returns its output."""
        from skl2onnx.common._apply_operation import apply_cast

        output = self.scope.get_unique_variable_name("cast")
        apply_cast(self.scope, value, output, self.container, to=to)
        return output


def _one_op(op_type):
    def build(g, x, out):
        g.node(op_type, x, out)

    build.__doc__ = f"One ``{op_type}`` node."
    return build


# onnxruntime's CPU provider has LeakyRelu, Elu and Softplus in float32
# only: a double graph builds them from operators it has.
def _leaky_relu(g, x, out):  # max(x, 0.01 x)
    if not g.double:
        g.node("LeakyRelu", x, out, alpha=0.01)
        return
    g.node("Max", [x, g.node("Mul", [x, g.const(0.01)])], out)


def _elu(g, x, out):  # x if x > 0 else exp(x) - 1; exp(min(x, 0)) never overflows
    if not g.double:
        g.node("Elu", x, out, alpha=1.0)
        return
    negative = g.node(
        "Sub", [g.node("Exp", g.node("Min", [x, g.const(0.0)])), g.const(1.0)]
    )
    g.node("Add", [g.node("Relu", x), negative], out)


def _softplus(g, x, out):  # max(x, 0) + log(1 + exp(-|x|)), as logaddexp(0, x)
    if not g.double:
        g.node("Softplus", x, out)
        return
    tail = g.node("Exp", g.node("Neg", g.node("Abs", x)))
    log = g.node("Log", g.node("Add", [tail, g.const(1.0)]))
    g.node("Add", [g.node("Relu", x), log], out)


# SiLU and GELU have no operator in the opsets skl2onnx targets.
def _silu(g, x, out):  # x * sigmoid(x)
    g.node("Mul", [x, g.node("Sigmoid", x)], out)


def _gelu(g, x, out):  # x * Phi(x) = 0.5 x (1 + erf(x / sqrt(2)))
    from skl2onnx.proto import onnx_proto

    scaled = g.node("Div", [x, g.const(float(np.sqrt(2.0)))])
    if g.double:  # no double Erf: float32 inside, about 1e-7 relative
        float32 = onnx_proto.TensorProto.FLOAT
        erf = g.cast(g.node("Erf", g.cast(scaled, float32)), g.proto_dtype)
    else:
        erf = g.node("Erf", scaled)
    half_x = g.node("Mul", [x, g.const(0.5)])
    g.node("Mul", [half_x, g.node("Add", [erf, g.const(1.0)])], out)


ONNX_ACTIVATIONS = {
    "identity": _one_op("Identity"),
    "tanh": _one_op("Tanh"),
    "logistic": _one_op("Sigmoid"),
    "relu": _one_op("Relu"),
    "softmax": _one_op("Softmax"),
    "leaky_relu": _leaky_relu,
    "elu": _elu,
    "softplus": _softplus,
    "silu": _silu,
    "gelu": _gelu,
}
"""ONNX builder of every activation, ``build(graph, x, out)``.

One entry per name of :data:`skmlp._activations.ACTIVATIONS` and
:data:`skmlp._activations.OUTPUT_ACTIVATIONS`; the tests check that none is
missing, so a new activation needs its builder here.
"""


def _add_activation(name, x, out, scope, container, proto_dtype):
    """Emit ``out = f(x)`` for the activation ``name``."""
    try:
        build = ONNX_ACTIVATIONS[name]
    except KeyError:
        raise NotImplementedError(
            f"ONNX export does not know the activation {name!r}: add its "
            "builder to skmlp._onnx.ONNX_ACTIVATIONS."
        ) from None
    build(_Graph(scope, container, proto_dtype), x, out)


_INSTALL_HINT = (
    "ONNX export needs the optional packages onnx and skl2onnx (and "
    "onnxruntime to run the exported model). Install them with "
    "`pip install \"skmlp[onnx]\"` (the 'onnx' extra) or "
    "`pip install onnx onnxruntime skl2onnx`."
)


def _import_skl2onnx():
    try:
        import onnx  # noqa: F401
        import skl2onnx
    except ImportError as exc:
        raise ImportError(_INSTALL_HINT + f" (import failed: {exc})") from exc
    return skl2onnx


def _is_multilabel(model):
    return model.out_activation_ == "logistic" and model.n_outputs_ > 1


def _label_kind(model):
    """'string' or 'int64': how the label output is typed."""
    classes = np.asarray(model.classes_)
    if classes.dtype.kind in "biu":
        return "int64"
    if classes.dtype.kind == "f":
        if not np.all(np.isfinite(classes)) or np.any(classes != np.round(classes)):
            raise NotImplementedError(
                "ONNX export supports integer, boolean, integral-float and "
                f"string class labels; got non-integral float labels {classes!r}."
            )
        return "int64"
    if classes.dtype.kind in "OUS":
        if not all(isinstance(c, (str, np.str_)) for c in classes.tolist()):
            raise NotImplementedError(
                "ONNX export needs class labels that are all integers or all "
                f"strings; got {classes!r}."
            )
        return "string"
    raise NotImplementedError(
        f"ONNX export does not support class labels of dtype {classes.dtype}."
    )


def _shape_calculator(operator):
    """Declare the outputs: label [N] (or [N, n_labels]) and probabilities."""
    from skl2onnx.common.data_types import (
        BooleanTensorType,
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
    )
    from skl2onnx.common.utils import (
        check_input_and_output_numbers,
        check_input_and_output_types,
    )
    from skl2onnx.common.utils_classifier import get_label_classes

    check_input_and_output_numbers(operator, input_count_range=1, output_count_range=2)
    check_input_and_output_types(
        operator,
        good_input_types=[
            BooleanTensorType,
            DoubleTensorType,
            FloatTensorType,
            Int64TensorType,
        ],
    )
    model = operator.raw_operator
    check_is_fitted(model)
    n_rows = operator.inputs[0].get_first_dimension()
    classes = get_label_classes(operator.scope_inst, model)
    multilabel = _is_multilabel(model)
    label_shape = [n_rows, model.n_outputs_] if multilabel else [n_rows]
    if multilabel or np.asarray(classes).dtype.kind in "biuf":
        label_type = Int64TensorType(shape=label_shape)
    else:
        _label_kind(model)  # raises on unsupported label types
        label_type = StringTensorType(shape=label_shape)
    operator.outputs[0].set_type(label_type)
    operator.outputs[1].type.shape = [n_rows, len(model.classes_)]


def _converter(scope, operator, container):
    """Emit the forward pass, probabilities and labels, as skl2onnx does."""
    from skl2onnx.common.data_types import guess_proto_type
    from skl2onnx.proto import onnx_proto

    model = operator.raw_operator
    proto_dtype = guess_proto_type(operator.inputs[0].type)
    if proto_dtype != onnx_proto.TensorProto.DOUBLE:
        proto_dtype = onnx_proto.TensorProto.FLOAT
    y_pred = _add_forward_pass(scope, operator, container, proto_dtype)
    proba_name = operator.outputs[1].full_name
    _add_probabilities(scope, model, container, y_pred, proba_name, proto_dtype)
    label_name = operator.outputs[0].full_name
    if _is_multilabel(model):
        _add_indicator_labels(scope, container, y_pred, label_name, proto_dtype)
    else:
        _add_class_labels(scope, model, container, proba_name, label_name)


def _add_forward_pass(scope, operator, container, proto_dtype):
    """Cast the input, then MatMul + Add + activation per layer.

    Returns the name of the network output.
    """
    from skl2onnx.common._apply_operation import apply_cast
    from skl2onnx.proto import onnx_proto

    model = operator.raw_operator
    np_dtype = (
        np.float64 if proto_dtype == onnx_proto.TensorProto.DOUBLE else np.float32
    )
    current = scope.get_unique_variable_name("cast_input")
    apply_cast(scope, operator.inputs[0].full_name, current, container, to=proto_dtype)
    n_layers = len(model.coefs_)
    for i, (W, b) in enumerate(zip(model.coefs_, model.intercepts_)):
        W = np.asarray(W, dtype=np_dtype)
        b = np.asarray(b, dtype=np_dtype)
        coef_name = scope.get_unique_variable_name("coefficient")
        bias_name = scope.get_unique_variable_name("intercepts")
        container.add_initializer(coef_name, proto_dtype, list(W.shape), W.ravel())
        container.add_initializer(bias_name, proto_dtype, [1, b.shape[0]], b)
        mul_name = scope.get_unique_variable_name("mul_result")
        add_name = scope.get_unique_variable_name("add_result")
        container.add_node(
            "MatMul",
            [current, coef_name],
            mul_name,
            name=scope.get_unique_operator_name("MatMul"),
        )
        container.add_node(
            "Add",
            [mul_name, bias_name],
            add_name,
            name=scope.get_unique_operator_name("Add"),
        )
        last = i == n_layers - 1
        act_name = scope.get_unique_variable_name(
            "out_activations_result" if last else "next_activations"
        )
        _add_activation(
            model.out_activation_ if last else model.activation,
            add_name,
            act_name,
            scope,
            container,
            proto_dtype,
        )
        current = act_name
    return current


def _add_probabilities(scope, model, container, y_pred, proba_name, proto_dtype):
    """The probability output: ``[1 - p, p]`` for one logistic unit."""
    from skl2onnx.common._apply_operation import (
        apply_concat,
        apply_identity,
        apply_sub,
    )

    if model.n_outputs_ == 1:
        one_name = scope.get_unique_variable_name("unity")
        neg_name = scope.get_unique_variable_name("negative_class_proba")
        container.add_initializer(one_name, proto_dtype, [], [1])
        apply_sub(scope, [one_name, y_pred], neg_name, container, broadcast=1)
        apply_concat(scope, [neg_name, y_pred], proba_name, container, axis=1)
    else:
        apply_identity(scope, y_pred, proba_name, container)


def _add_indicator_labels(scope, container, y_pred, label_name, proto_dtype):
    """Multilabel: 1 where the probability is > 0.5, as
    LabelBinarizer.inverse_transform does.

    Greater, not ai.onnx.ml's Binarizer: onnxruntime has no double
    Binarizer.
    """
    from skl2onnx.common._apply_operation import apply_cast
    from skl2onnx.proto import onnx_proto

    half = scope.get_unique_variable_name("half")
    container.add_initializer(half, proto_dtype, [], [0.5])
    binarized = scope.get_unique_variable_name("binariser_output")
    container.add_node(
        "Greater",
        [y_pred, half],
        binarized,
        name=scope.get_unique_operator_name("Greater"),
    )
    apply_cast(
        scope,
        binarized,
        label_name,
        container,
        to=onnx_proto.TensorProto.INT64,
    )


def _add_class_labels(scope, model, container, proba_name, label_name):
    """The label of the most probable class (int64 or string)."""
    from skl2onnx.common._apply_operation import apply_reshape
    from skl2onnx.common.utils_classifier import get_label_classes
    from skl2onnx.proto import onnx_proto

    classes = np.asarray(get_label_classes(scope, model))
    if classes.dtype.kind in "biuf":
        if classes.dtype.kind == "f":
            _label_kind(model)  # raises on non-integral float labels
        classes = classes.astype(np.int64)
        class_type = onnx_proto.TensorProto.INT64
    else:
        classes = np.array([str(c).encode("utf-8") for c in classes])
        class_type = onnx_proto.TensorProto.STRING
    classes_name = scope.get_unique_variable_name("classes")
    container.add_initializer(classes_name, class_type, list(classes.shape), classes)
    argmax_name = scope.get_unique_variable_name("argmax_output")
    container.add_node(
        "ArgMax",
        proba_name,
        argmax_name,
        axis=1,
        name=scope.get_unique_operator_name("ArgMax"),
    )
    extracted = scope.get_unique_variable_name("array_feature_extractor_result")
    container.add_node(
        "ArrayFeatureExtractor",
        [classes_name, argmax_name],
        extracted,
        op_domain="ai.onnx.ml",
        name=scope.get_unique_operator_name("ArrayFeatureExtractor"),
    )
    apply_reshape(scope, extracted, label_name, container, desired_shape=(-1,))


def register_onnx_converter():
    """Teach ``skl2onnx`` to convert :class:`~skmlp.NumpyMLPClassifier`.

    After this call ``skl2onnx.to_onnx`` (or ``convert_sklearn``) converts a
    fitted ``NumpyMLPClassifier``, alone or inside a pipeline, with the
    options skl2onnx gives its classifiers: ``zipmap`` (True by default,
    False for a plain probability tensor, or ``"columns"``), ``nocl`` and
    ``output_class_labels``.  Calling it again is harmless.

    The graph has two outputs, ``label`` (class labels, int64 or string; an
    int64 indicator matrix for multilabel models) and ``probabilities``
    (the columns of ``predict_proba``).

    Raises
    ------
    ImportError
        If ``onnx`` or ``skl2onnx`` is not installed (the ``onnx`` extra).
    """
    skl2onnx = _import_skl2onnx()
    from ._classifier import NumpyMLPClassifier

    skl2onnx.update_registered_converter(
        NumpyMLPClassifier,
        _ALIAS,
        _shape_calculator,
        _converter,
        options={
            "zipmap": [True, False, "columns"],
            "nocl": [True, False],
            "output_class_labels": [False, True],
        },
    )


def to_onnx(estimator, X_sample, *, zipmap=False, options=None, **kwargs):
    """Convert a fitted estimator holding a ``NumpyMLPClassifier`` to ONNX.

    Registers the converter (:func:`register_onnx_converter`) and calls
    ``skl2onnx.to_onnx``.

    Parameters
    ----------
    estimator : NumpyMLPClassifier or Pipeline
        A fitted ``NumpyMLPClassifier`` or a pipeline (or any model
        skl2onnx converts) that contains one.

    X_sample : ndarray of shape (n_samples, n_features)
        A few rows of input; their dtype sets the input type of the graph.
        Pass float32 (e.g. ``X[:1].astype(np.float32)``) for float32
        inference, float64 to keep a float64 model in double precision.

    zipmap : bool or 'columns', default=False
        skl2onnx's ``zipmap`` option for every ``NumpyMLPClassifier`` in
        the model.  False (the default here, unlike skl2onnx) returns the
        probabilities as a plain ``(n_samples, n_classes)`` tensor; True
        returns a list of ``{label: probability}`` dicts.  Overridden by a
        ``zipmap`` set through ``options`` (for the class or by ``id``).

    options : dict, default=None
        skl2onnx's ``options`` argument, keyed by model class or ``id``.

    **kwargs
        Passed on to ``skl2onnx.to_onnx`` (e.g. ``target_opset``).

    Returns
    -------
    onnx_model : onnx.ModelProto
        The converted model, to save with ``onnx_model.SerializeToString()``
        and run with onnxruntime.

    Raises
    ------
    ImportError
        If ``onnx`` or ``skl2onnx`` is not installed (the ``onnx`` extra).

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort  # doctest: +SKIP
    >>> from sklearn.datasets import load_iris
    >>> from skmlp import NumpyMLPClassifier
    >>> from skmlp._onnx import to_onnx
    >>> X, y = load_iris(return_X_y=True)
    >>> X = X.astype(np.float32)
    >>> clf = NumpyMLPClassifier(solver="lbfgs", random_state=0).fit(X, y)
    >>> onx = to_onnx(clf, X[:1])  # doctest: +SKIP
    >>> sess = ort.InferenceSession(onx.SerializeToString())  # doctest: +SKIP
    >>> labels, proba = sess.run(None, {"X": X})  # doctest: +SKIP
    >>> bool((labels == clf.predict(X)).all())  # doctest: +SKIP
    True
    """
    skl2onnx = _import_skl2onnx()
    register_onnx_converter()
    from ._classifier import NumpyMLPClassifier

    options = dict(options or {})
    if zipmap is not None:
        # Class-level default; options keyed by id(model) still take
        # precedence in skl2onnx, and so does a zipmap given for the class.
        options[NumpyMLPClassifier] = {
            "zipmap": zipmap,
            **options.get(NumpyMLPClassifier, {}),
        }
    return skl2onnx.to_onnx(estimator, X_sample, options=options or None, **kwargs)
