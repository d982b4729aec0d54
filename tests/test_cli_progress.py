"""Tests of the ``skmlp`` command's progress display (skmlp._cli_progress)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
from test_cli import _images, run_in_process, write_train

from skmlp._cli_progress import epoch_status, format_status


def _fake(scores=None, loss=(), **params):
    base = dict(
        max_iter=30, early_stopping=scores is not None, tol=1e-4, n_iter_no_change=2
    )
    base.update(params)
    return SimpleNamespace(loss_curve_=list(loss), validation_scores_=scores, **base)


def test_epoch_status_counts_epochs_without_improvement_as_early_stopping_does():
    clf = _fake(scores=[0.5, 0.6, 0.6, 0.59, 0.7], loss=[1, 0.8, 0.7, 0.6, 0.5])
    waited = [epoch_status(clf, e, 0.1)["waited"] for e in range(1, 6)]
    # 0.6 again is not an improvement by tol; 0.7 resets the count.
    assert waited == [0, 0, 1, 2, 0]
    status = epoch_status(clf, 4, 0.25)
    assert status["score"] == 0.59 and status["best"] == 0.6
    assert status["best_epoch"] == 2 and status["loss"] == 0.6
    text = format_status(status)
    assert text == (
        "epoch  4/30  training loss 0.6000  validation 59.00%  best 60.00% "
        "(epoch 2)  2/3 epochs without improvement  0.25 s/epoch"
    )


def test_epoch_status_without_validation_or_early_stop():
    status = epoch_status(_fake(loss=[0.9]), 1, 1.5)
    assert format_status(status) == "epoch  1/30  training loss 0.9000  1.50 s/epoch"
    # Validation, but a patience that cannot end training before max_iter:
    # no count to show.
    clf = _fake(scores=[0.9], loss=[0.5], n_iter_no_change=30)
    assert "without improvement" not in format_status(epoch_status(clf, 1, 1.0))
    # lbfgs: no loss curve during the fit.
    assert format_status(epoch_status(_fake(), 3, 0.5)) == "epoch  3/30  0.50 s/epoch"


def test_progress_lines_show_what_a_user_wants(tmp_path, capsys):
    train = write_train(tmp_path / "train.csv")
    proc = run_in_process(
        capsys, "train", train, "--model", tmp_path / "m.skops",
        "--hidden", "16", "--epochs", "40", "--patience", "2",
        "--validation-fraction", "0.1",  # off by default
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    epochs = [line for line in proc.stdout.splitlines() if line.startswith("epoch")]
    assert epochs[0].startswith("epoch  1/40  training loss ")
    for text in ("validation ", "best ", "(epoch ", "epochs without improvement"):
        assert text in epochs[0], epochs[0]
    assert epochs[0].endswith("s/epoch")
    # No jargon from scikit-learn's task tree.
    assert "Pipeline" not in proc.stdout and "fit #" not in proc.stdout
    # Early stopping (patience 2): it stopped before epoch 40, said so, and
    # the last line counts 3 epochs without improvement.
    assert len(epochs) < 40
    assert "3/3 epochs without improvement" in epochs[-1]


def test_progress_bar_on_a_terminal_is_full_width_and_stops_where_training_did():
    import io
    import warnings

    from rich.console import Console

    from skmlp._cli import build_pipeline
    from skmlp._cli_progress import EpochProgress

    rng = np.random.default_rng(0)
    y = np.arange(200) % 10
    X = _images(rng, y)
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=111, color_system=None)
    pipe = build_pipeline(
        hidden=(16,), epochs=300, patience=1, seed=0, validation_fraction=0.1
    )
    pipe[-1].set_callbacks(EpochProgress(live=True, console=console))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe.fit(X, y)
    n = pipe[-1].n_iter_
    assert n < 300
    # The last frame drawn: the bar's line, then the status.
    bar, *status = buf.getvalue().split("\x1b[2K")[-1].splitlines()
    status = " ".join(status)
    # Not 300/300: no jump to 100% when early stopping ends training.
    assert re.match(rf"Epoch +{n}/300 ", bar), bar
    assert len(bar) == 111  # the whole terminal width
    assert "training loss" in status and "best" in status and "s/epoch" in status
