"""The ``skmlp`` command: train, predict and evaluate on Kaggle digit files.

::

    skmlp                                    # demo on the embedded sample
    skmlp train train.csv --model model.skops
    skmlp predict test.csv --model model.skops --out submission.csv
    skmlp evaluate labelled.csv --model model.skops

``python -m skmlp`` is the same command.  Models are scikit-learn
:class:`~sklearn.pipeline.Pipeline` objects (pixels / 255, then
:class:`~skmlp.NumpyMLPClassifier`) saved with :func:`skops.io.dump`, never
with pickle; loading trusts exactly the types such a pipeline contains.

Errors are reported as one line on stderr, ``skmlp: error: ...``, with exit
status 2 for usage errors and 1 for anything else (unreadable or malformed
files, a model file that is not a skops file, ...).
"""

from __future__ import annotations

import functools
import os
import sys
import time
import warnings

from . import __version__
from ._cli_parser import (
    CONSTANT_RATE_PATIENCE,
    DEFAULT_ALPHA,
    DEFAULT_AUGMENT_EPOCHS,
    DEFAULT_AUGMENT_HIDDEN,
    DEFAULT_BATCH_SIZE,
    DEFAULT_DROPOUT,
    DEFAULT_DTYPE,
    DEFAULT_EPOCHS,
    DEFAULT_HIDDEN,
    DEFAULT_LABEL_SMOOTHING,
    DEFAULT_LEARNING_RATE,
    DEFAULT_LR_SCHEDULE,
    DEFAULT_MAX_SHIFT,
    DEFAULT_PATIENCE,
    DEFAULT_SEED,
    DEFAULT_SOLVER,
    DEFAULT_VALIDATION_FRACTION,
    DEFAULT_WEIGHT_DECAY,
    DEMO_SPLIT_SEED,
    DEMO_TEST_SIZE,
    HUGE_DATA_EPOCHS,
    HUGE_DATA_IMAGES,
    LARGE_DATA_EPOCHS,
    LARGE_DATA_IMAGES,
    N_PIXELS,
    PROG,
    build_parser,
    one_line,
)


class CLIError(Exception):
    """An error reported as ``skmlp: error: <message>``, exit status 1."""


# --------------------------------------------------------------------------- #
# The model
# --------------------------------------------------------------------------- #
def scale_pixels(X):
    """Scale 0-255 pixel intensities to [0, 1] as float32: ``X / 255``.

    The first step of every pipeline the command builds (a
    :class:`~sklearn.preprocessing.FunctionTransformer`).  Unlike a
    scaler fitted to the training data it maps every pixel the same way,
    so a pixel that happens to be always blank in the training set cannot
    blow up on a test image.
    """
    import numpy as np

    return np.asarray(X, dtype=np.float32) / np.float32(255)


def build_pipeline(
    *,
    hidden=None,
    solver=DEFAULT_SOLVER,
    epochs=None,
    validation_fraction=DEFAULT_VALIDATION_FRACTION,
    patience=DEFAULT_PATIENCE,
    batch_size=DEFAULT_BATCH_SIZE,
    learning_rate=DEFAULT_LEARNING_RATE,
    alpha=DEFAULT_ALPHA,
    label_smoothing=DEFAULT_LABEL_SMOOTHING,
    lr_schedule=DEFAULT_LR_SCHEDULE,
    dropout=DEFAULT_DROPOUT,
    weight_decay=DEFAULT_WEIGHT_DECAY,
    augment=False,
    max_shift=DEFAULT_MAX_SHIFT,
    seed=DEFAULT_SEED,
    dtype=DEFAULT_DTYPE,
    n_images=None,
):
    """The pipeline ``skmlp train`` fits: pixels / 255, then the classifier.

    ``validation_fraction > 0`` turns on early stopping with that fraction
    of the training rows held out (sgd and adam; lbfgs has no early
    stopping), stopping after ``patience + 1`` epochs without improvement
    (None: never before ``epochs`` with the cosine schedule, else 10);
    ``epochs`` is then an upper bound (None: the default, which depends on
    ``augment`` and on ``n_images``, the number of images to train on).
    ``augment`` shifts the training images by up to ``max_shift`` pixels
    (:class:`skmlp.augment.ImageShift`).  ``hidden`` None: the default
    hidden layer sizes, which depend on ``augment``.  The
    network computes in ``dtype`` (float32 by default, asked for explicitly:
    the estimator's own default follows the input).
    """
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    from ._classifier import NumpyMLPClassifier
    from .augment import ImageShift

    if hidden is None:
        hidden = DEFAULT_AUGMENT_HIDDEN if augment else DEFAULT_HIDDEN
    if epochs is None:
        epochs = DEFAULT_AUGMENT_EPOCHS if augment else DEFAULT_EPOCHS
        if not augment and n_images is not None and n_images >= LARGE_DATA_IMAGES:
            epochs = LARGE_DATA_EPOCHS
        if not augment and n_images is not None and n_images >= HUGE_DATA_IMAGES:
            epochs = HUGE_DATA_EPOCHS
    if patience is None:
        patience = epochs if lr_schedule == "cosine" else CONSTANT_RATE_PATIENCE
    # lbfgs trains on the full batch and has no early stopping.
    early_stopping = validation_fraction > 0 and solver != "lbfgs"
    clf = NumpyMLPClassifier(
        hidden_layer_sizes=tuple(hidden),
        solver=solver,
        alpha=alpha,
        batch_size=batch_size,
        learning_rate_init=learning_rate,
        max_iter=epochs,
        early_stopping=early_stopping,
        validation_fraction=validation_fraction if early_stopping else 0.1,
        n_iter_no_change=patience,
        random_state=seed,
        dtype=dtype,
        label_smoothing=label_smoothing,
        lr_schedule=lr_schedule,
        dropout=dropout,
        weight_decay=weight_decay,
        augment=ImageShift(shape=(28, 28), max_shift=max_shift) if augment else None,
    )
    return Pipeline(
        [("scale", FunctionTransformer(scale_pixels)), ("mlp", clf)],
    )


_PIPELINE_OPTIONS = (
    "hidden",
    "solver",
    "epochs",
    "validation_fraction",
    "patience",
    "batch_size",
    "learning_rate",
    "alpha",
    "label_smoothing",
    "lr_schedule",
    "dropout",
    "weight_decay",
    "augment",
    "max_shift",
    "seed",
    "dtype",
)


def _pipeline_from_args(args, n_images):
    options = {name: getattr(args, name) for name in _PIPELINE_OPTIONS}
    return build_pipeline(n_images=n_images, **options)


def _describe_model(pipe) -> str:
    clf = pipe[-1]
    parts = [
        "hidden layers " + ",".join(str(h) for h in clf.hidden_layer_sizes),
        f"solver {clf.solver}",
    ]
    if clf.solver != "lbfgs":
        parts += [
            f"batch size {clf.batch_size}",
            f"learning rate {clf.learning_rate_init:g}",
        ]
    parts.append(f"alpha {clf.alpha:g}")
    extras = {
        "label smoothing": clf.label_smoothing,
        "dropout": clf.dropout,
        "weight decay": clf.weight_decay,
    }
    parts += [f"{name} {value:g}" for name, value in extras.items() if value]
    if clf.solver != "lbfgs" and clf.lr_schedule not in (None, "constant"):
        parts.append(f"{clf.lr_schedule} learning-rate schedule")
    if clf.augment is not None:
        parts.append(f"training images shifted by up to {clf.augment.max_shift} px")
    if clf.early_stopping and clf.n_iter_no_change >= clf.max_iter:
        parts.append(
            f"{clf.max_iter} epochs, {clf.validation_fraction:.0%} of the rows "
            "held out for validation (the best epoch's weights are kept)"
        )
    elif clf.early_stopping:
        parts.append(
            f"at most {clf.max_iter} epochs, early stopping on "
            f"{clf.validation_fraction:.0%} validation rows after "
            f"{clf.n_iter_no_change + 1} epochs without improvement"
        )
    elif clf.solver == "lbfgs":
        parts.append(f"at most {clf.max_iter} iterations")
    else:
        parts.append(f"at most {clf.max_iter} epochs")
    parts += [f"seed {clf.random_state}", str(clf.dtype)]
    return "pixels / 255 -> NumpyMLPClassifier(" + ", ".join(parts) + ")"


def _strip_run_state(pipe) -> None:
    """Remove what only the training run needed before saving the model.

    Callbacks (a progress bar holds live threads and sockets) and the
    ``verbose`` flag used for plain progress lines.
    """
    for est in (pipe, pipe[-1]):
        if hasattr(est, "set_callbacks"):
            est.set_callbacks()
    pipe[-1].set_params(verbose=False)


@functools.lru_cache(maxsize=1)
def trusted_types() -> tuple[str, ...]:
    """The non-default types :func:`skops.io.get_untrusted_types` reports for
    a model written by ``skmlp train``.

    Computed, not hard-coded: tiny pipelines built by :func:`build_pipeline`
    (every solver and dtype, with and without early stopping) are fitted and
    serialised, and the types skops does not trust by default are collected.
    Only those are trusted when loading, so a file holding anything else is
    refused.
    """
    import numpy as np
    import skops.io as sio

    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(40, N_PIXELS), dtype=np.uint8)
    y = np.arange(40) % 10
    found: set[str] = set()
    variants = [
        dict(solver="adam", dtype="float32", validation_fraction=0.25),
        dict(solver="adam", dtype="float32", validation_fraction=0.0, augment=True),
        dict(solver="sgd", dtype="float64", validation_fraction=0.0),
        dict(solver="lbfgs", dtype="float32", validation_fraction=0.0),
    ]
    for variant in variants:
        pipe = build_pipeline(hidden=(2,), epochs=2, batch_size=8, **variant)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pipe.fit(X, y)
        _strip_run_state(pipe)
        found.update(sio.get_untrusted_types(data=sio.dumps(pipe)))
    return tuple(sorted(found))


def _write_atomically(path: str, write, *, what: str) -> None:
    """``write(tmp)`` to a temporary file beside ``path``, then rename it.

    A failed or interrupted write leaves an existing file at ``path`` as it
    was, never half-written.  The temporary name ends with ``path``'s own
    name, so that writers choosing a compression by suffix choose the same.
    """
    parent, name = os.path.split(os.path.abspath(path))
    tmp = os.path.join(parent, f".tmp-{os.getpid()}-{name}")
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        raise CLIError(f"cannot write the {what} {path!r}: {_oserror(exc)}") from exc
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def save_model(pipe, path: str) -> None:
    """Write ``pipe`` to ``path`` with :func:`skops.io.dump`, atomically."""
    import zipfile

    import skops.io as sio

    _strip_run_state(pipe)
    _write_atomically(
        path,
        lambda tmp: sio.dump(pipe, tmp, compression=zipfile.ZIP_DEFLATED),
        what="model file",
    )


def load_model(path: str):
    """Load a model written by ``skmlp train``, trusting only its types."""
    import skops.io as sio
    from sklearn.pipeline import Pipeline

    from ._classifier import NumpyMLPClassifier

    _check_input_file(path, what="model file")
    not_skops = f"{path!r} is not a skops model file (write one with 'skmlp train')"
    try:
        found = sio.get_untrusted_types(file=path)
    except OSError as exc:
        raise CLIError(f"cannot read {path!r}: {_oserror(exc)}") from exc
    except Exception as exc:  # zipfile.BadZipFile, KeyError, JSON errors, ...
        raise CLIError(not_skops) from exc
    expected = trusted_types()
    unexpected = sorted(set(found) - set(expected))
    if unexpected:
        raise CLIError(
            f"refusing to load {path!r}: it contains types a model written by "
            f"skmlp does not, which could run arbitrary code: {', '.join(unexpected)}"
        )
    try:
        model = sio.load(path, trusted=list(expected))
    except OSError as exc:
        raise CLIError(f"cannot read {path!r}: {_oserror(exc)}") from exc
    except Exception as exc:
        raise CLIError(f"{not_skops}: {one_line(exc)}") from exc
    if not (
        isinstance(model, Pipeline)
        and isinstance(model[-1], NumpyMLPClassifier)
        and hasattr(model[-1], "coefs_")
    ):
        raise CLIError(
            f"{path!r} holds an object of type {type(model).__name__}, not a "
            "fitted model written by 'skmlp train'"
        )
    if getattr(model[-1], "n_features_in_", N_PIXELS) != N_PIXELS:
        raise CLIError(
            f"{path!r} holds a model for {model[-1].n_features_in_} features, not "
            f"for {N_PIXELS}-pixel digit images"
        )
    return model


# --------------------------------------------------------------------------- #
# Training with progress
# --------------------------------------------------------------------------- #
class Interrupted(Exception):
    """Training was interrupted (Ctrl-C); ``pipe`` holds the model so far."""

    def __init__(self, pipe, seconds):
        super().__init__("training interrupted")
        self.pipe, self.seconds = pipe, seconds


def fit_with_progress(pipe, X, y, *, quiet: bool = False) -> float:
    """Fit ``pipe`` on (X, y) showing progress; return the seconds taken.

    Progress is an :class:`~skmlp._cli_progress.EpochProgress` callback on
    the classifier (a rich progress bar on a terminal, one line per epoch
    otherwise); with a scikit-learn older than 1.9 (no callbacks), the
    classifier's ``verbose`` lines.  Warnings raised while training (e.g.
    ``ConvergenceWarning`` when ``--epochs`` runs out) are printed as one
    ``skmlp: warning:`` line each.

    Raises
    ------
    Interrupted
        When Ctrl-C stopped the training loop: the classifier then returns
        normally with the weights of the last completed (or best) epoch.
    """
    from ._cli_progress import EpochProgress, callbacks_supported

    clf = pipe[-1]
    if not quiet:
        if callbacks_supported(clf):
            clf.set_callbacks(EpochProgress())
        else:
            clf.set_params(verbose=True)

    start = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            pipe.fit(X, y)
    finally:
        sys.stdout.flush()
        _strip_run_state(pipe)
    seconds = time.perf_counter() - start

    seen = set()
    interrupted = False
    for w in caught:
        # Deprecation notices are for developers, not for command-line users.
        if issubclass(w.category, DeprecationWarning | FutureWarning):
            continue
        text = one_line(w.message)
        if text == "Training interrupted by user.":
            # The estimator caught Ctrl-C and kept the last complete epoch.
            interrupted = True
            continue
        if text in seen:
            continue
        seen.add(text)
        if "Maximum iterations" in text or "ITERATIONS REACHED LIMIT" in text:
            if clf.lr_schedule == "cosine":
                continue  # the schedule ends there by design
            text += " (raise --epochs to train longer)"
        print(f"{PROG}: warning: {text}", file=sys.stderr)
    if interrupted:
        raise Interrupted(pipe, seconds)
    return seconds


# --------------------------------------------------------------------------- #
# Reporting
# --------------------------------------------------------------------------- #
def format_confusion_matrix(y_true, y_pred, labels=None) -> str:
    """A confusion matrix as a text table with labelled rows and columns.

    Rows are the true classes, columns the predicted ones
    (:func:`sklearn.metrics.confusion_matrix`), with row totals and the
    recall of each class on the right.
    """
    import numpy as np
    from sklearn.metrics import confusion_matrix

    if labels is None:
        labels = np.union1d(np.unique(y_true), np.unique(y_pred))
    cm = confusion_matrix(y_true, y_pred, labels=labels)
    names = [str(label) for label in labels]
    width = max(5, len(str(cm.max())) + 2, *(len(n) + 2 for n in names))
    corner = "true\\pred"
    stub = max(len(corner), *(len(n) for n in names))
    lines = [
        corner.ljust(stub)
        + "".join(f"{n:>{width}}" for n in names)
        + f"{'total':>{width + 2}}{'recall':>8}"
    ]
    for i, (name, row) in enumerate(zip(names, cm)):
        total = int(row.sum())
        recall = f"{row[i] / total:.1%}" if total else "-"
        lines.append(
            name.rjust(stub)
            + "".join(f"{int(v):>{width}}" for v in row)
            + f"{total:>{width + 2}}{recall:>8}"
        )
    return "\n".join(lines)


def _print_scores(y_true, y_pred, *, title: str) -> None:
    import numpy as np

    correct = int(np.sum(y_true == y_pred))
    n = len(y_true)
    print(f"{title}: {correct / n:.2%} ({correct:,} of {n:,} images correct)")
    print()
    print("Confusion matrix (rows: true digit, columns: predicted digit):")
    print(format_confusion_matrix(y_true, y_pred))


def _print_fit_summary(pipe, X, y, seconds: float) -> None:
    import numpy as np

    clf = pipe[-1]
    train_acc = pipe.score(X, y)
    unit = "iterations" if clf.solver == "lbfgs" else "epochs"
    print(f"Trained in {seconds:.1f} s ({clf.n_iter_} {unit}).")
    held_out = clf.early_stopping and getattr(clf, "validation_scores_", None)
    if held_out:  # the score is on every row given, the held-out ones too
        rows = f"all {len(y):,} images given, the held-out validation rows included"
    else:
        rows = f"the {len(y):,} training images"
    print(f"Training accuracy: {train_acc:.2%} (on {rows})")
    if held_out:
        n_val = max(1, round(clf.validation_fraction * len(y)))
        best = clf.best_validation_score_
        epoch = int(np.argmax(clf.validation_scores_)) + 1
        print(
            f"Validation accuracy: {best:.2%} (best epoch {epoch}, on ~{n_val:,} "
            "held-out training images; its weights are kept)"
        )


# --------------------------------------------------------------------------- #
# File helpers
# --------------------------------------------------------------------------- #
def _oserror(exc: OSError) -> str:
    return exc.strerror or one_line(exc)


def _check_input_file(path: str, *, what: str) -> None:
    if not os.path.exists(path):
        raise CLIError(f"{what} {path!r} does not exist")
    if os.path.isdir(path):
        raise CLIError(f"{what} {path!r} is a directory, not a file")
    if not os.access(path, os.R_OK):
        raise CLIError(f"{what} {path!r} is not readable (permission denied)")


def _check_output_file(path: str, *, what: str, inputs: dict) -> None:
    """An output path that can be written and names none of the ``inputs``."""
    for name, other in inputs.items():
        same = os.path.abspath(path) == os.path.abspath(other) or (
            os.path.exists(path)
            and os.path.exists(other)
            and os.path.samefile(path, other)
        )
        if same:
            raise CLIError(
                f"the {what} {path!r} is also the {name}: writing it would "
                "destroy it; choose another name"
            )
    if os.path.isdir(path):
        raise CLIError(f"{what} {path!r} is a directory")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise CLIError(
            f"cannot write the {what} {path!r}: directory {parent!r} does not exist"
        )
    if not os.access(parent, os.W_OK):
        raise CLIError(
            f"cannot write the {what} {path!r}: directory {parent!r} is not writable"
        )


def _read_csv(path: str, *, labelled: bool):
    """Read a Kaggle train.csv (labelled) or test.csv; one-line errors."""
    import zlib

    from .datasets import load_kaggle_test, load_kaggle_train

    _check_input_file(path, what="input file")
    reader = load_kaggle_train if labelled else load_kaggle_test
    try:
        return reader(path)
    except OSError as exc:  # includes gzip.BadGzipFile
        raise CLIError(f"cannot read {path!r}: {_oserror(exc)}") from exc
    except (ValueError, EOFError, zlib.error) as exc:
        text = one_line(exc)
        if path not in text:
            text = f"{path!r}: {text}"
        # The readers point Python users to the other reader; point command
        # users to the other command.
        python_hint, command_hint = _OTHER_FILE_HINTS[labelled]
        text = text.replace(python_hint, command_hint)
        raise CLIError(text) from exc


_OTHER_FILE_HINTS = {
    True: (
        " (For a test file without labels use load_kaggle_test.)",
        " Use 'skmlp predict' for a test file without labels.",
    ),
    False: (
        " (For a labelled train file use load_kaggle_train.)",
        " Use 'skmlp evaluate' to score a labelled file.",
    ),
}


def _require_skops() -> None:
    """Fail before any work when the model files cannot be written or read."""
    try:
        import skops.io  # noqa: F401
    except ImportError as exc:
        raise CLIError(
            "model files need skops, a dependency of skmlp that is not "
            "installed: reinstall skmlp, or pip install skops"
        ) from exc


def _file_size(path: str) -> str:
    size = os.path.getsize(path)
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return ""  # pragma: no cover


# --------------------------------------------------------------------------- #
# Commands
# --------------------------------------------------------------------------- #
def cmd_demo(args) -> int:
    from sklearn.model_selection import train_test_split

    from .datasets import load_digits_sample

    start = time.perf_counter()
    X, y = load_digits_sample()
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=DEMO_TEST_SIZE, stratify=y, random_state=DEMO_SPLIT_SEED
    )
    print(
        f"{PROG} {__version__} demo: {len(y):,} real MNIST digits embedded in the "
        f"package; training on {len(y_train):,}, testing on {len(y_test):,} "
        f"(stratified {DEMO_TEST_SIZE:.0%} hold-out, seed {DEMO_SPLIT_SEED})."
    )
    pipe = _pipeline_from_args(args, len(y_train))
    print(f"Model: {_describe_model(pipe)}")
    try:
        seconds = fit_with_progress(pipe, X_train, y_train, quiet=args.quiet)
    except Interrupted:
        print(f"{PROG}: demo interrupted", file=sys.stderr)
        return 130
    _print_fit_summary(pipe, X_train, y_train, seconds)
    print()
    t0 = time.perf_counter()
    y_pred = pipe.predict(X_test)
    predict_seconds = time.perf_counter() - t0
    _print_scores(y_test, y_pred, title="Held-out accuracy")
    print()
    print(
        f"Time: {seconds:.1f} s training, {predict_seconds:.2f} s predicting, "
        f"{time.perf_counter() - start:.1f} s in total."
    )
    return 0


def cmd_train(args) -> int:
    start = time.perf_counter()
    _require_skops()
    _check_output_file(
        args.model, what="model file", inputs={"training file": args.train}
    )
    X, y = _read_csv(args.train, labelled=True)
    print(
        f"Read {len(y):,} labelled images from {args.train} "
        f"({time.perf_counter() - start:.1f} s)."
    )
    if args.validation_fraction > 0 and args.solver != "lbfgs":
        n_val = round(args.validation_fraction * len(y))
        if n_val < 2 or len(y) - n_val < 2:
            raise CLIError(
                f"--validation-fraction {args.validation_fraction:g} of {len(y)} "
                "images leaves too few rows to train or to validate on; use more "
                "images or --validation-fraction 0"
            )
    if len(set(y.tolist())) < 2:
        raise CLIError(f"{args.train!r} has a single class; nothing to learn")
    pipe = _pipeline_from_args(args, len(y))
    print(f"Model: {_describe_model(pipe)}")
    try:
        seconds = fit_with_progress(pipe, X, y, quiet=args.quiet)
    except Interrupted as stop:
        return _train_interrupted(args, stop)
    _print_fit_summary(pipe, X, y, seconds)
    save_model(pipe, args.model)
    print(f"Saved the model to {args.model} ({_file_size(args.model)}).")
    print(f"Total time: {time.perf_counter() - start:.1f} s.")
    return 0


def _train_interrupted(args, stop) -> int:
    """Ctrl-C stopped training: never replace a model file unless asked."""
    clf = stop.pipe[-1]
    unit = "iterations" if clf.solver == "lbfgs" else "epochs"
    done = f"after {stop.seconds:.1f} s ({clf.n_iter_} complete {unit})"
    if not args.save_interrupted:
        kept = (
            "the existing file is unchanged"
            if os.path.exists(args.model)
            else "nothing was written"
        )
        print(
            f"{PROG}: training interrupted {done}; the model was not saved to "
            f"{args.model} ({kept}). Use --save-interrupted to save an "
            "interrupted model.",
            file=sys.stderr,
        )
        return 130
    save_model(stop.pipe, args.model)
    print(
        f"{PROG}: training interrupted {done}; saved the model as it was "
        f"(--save-interrupted) to {args.model} ({_file_size(args.model)}).",
        file=sys.stderr,
    )
    return 130


def cmd_predict(args) -> int:
    from .datasets import write_submission

    start = time.perf_counter()
    _require_skops()
    _check_input_file(args.test, what="input file")
    _check_output_file(
        args.out,
        what="submission file",
        inputs={"test file": args.test, "model file": args.model},
    )
    model = load_model(args.model)
    X = _read_csv(args.test, labelled=False)
    y_pred = model.predict(X)
    name = os.path.basename(args.out)
    # A zip archive names its member after the archive: the final name, not
    # the temporary one.
    compression = (
        {"method": "zip", "archive_name": name[:-4]}
        if name.lower().endswith(".zip")
        else "infer"
    )
    _write_atomically(
        args.out,
        lambda tmp: write_submission(y_pred, tmp, compression=compression),
        what="submission file",
    )
    print(
        f"Wrote {len(y_pred):,} predictions (ImageId 1-{len(y_pred)}, Label) to "
        f"{args.out} in {time.perf_counter() - start:.1f} s."
    )
    return 0


def cmd_evaluate(args) -> int:
    start = time.perf_counter()
    _require_skops()
    _check_input_file(args.data, what="input file")
    model = load_model(args.model)
    X, y = _read_csv(args.data, labelled=True)
    y_pred = model.predict(X)
    _print_scores(y, y_pred, title=f"Accuracy on {args.data}")
    print()
    print(f"Time: {time.perf_counter() - start:.1f} s.")
    return 0


# --------------------------------------------------------------------------- #


COMMANDS = {
    "demo": cmd_demo,
    "train": cmd_train,
    "predict": cmd_predict,
    "evaluate": cmd_evaluate,
}


def _debug() -> bool:
    """SKMLP_DEBUG set to anything but empty, 0, false, no or off."""
    value = os.environ.get("SKMLP_DEBUG", "").strip().lower()
    return value not in ("", "0", "false", "no", "off")


def main(argv=None) -> int:
    """Run the ``skmlp`` command; return its exit status."""
    if argv is None:
        argv = sys.argv[1:]
    argv = list(argv)
    # No command: the demo, with any options given.
    if not argv or (
        argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")
    ):
        argv = ["demo", *argv]
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except CLIError as exc:
        if _debug():
            raise
        print(f"{PROG}: error: {one_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # stdout closed early (e.g. piped into head): stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except Exception as exc:  # a bug, or an error the checks above missed
        if _debug():
            raise
        print(
            f"{PROG}: error: {type(exc).__name__}: {one_line(exc)} "
            "(set SKMLP_DEBUG=1 for a traceback)",
            file=sys.stderr,
        )
        return 1
