"""End-to-end tests of the ``skmlp`` command, run through ``python -m skmlp``.

Every call goes through a subprocess on small generated Kaggle-format files
in ``tmp_path`` with a tiny network, so the tests need no ``../shared`` data
and each call takes a few seconds.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--hidden", "16", "--epochs", "5", "--quiet"]
N_TRAIN, N_TEST = 120, 37


def run(*args, cwd=None, env=None):
    """Run ``python -m skmlp ARGS``; return the CompletedProcess."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    full_env.pop("SKMLP_DEBUG", None)
    # Tiny networks: a second BLAS thread only slows a busy machine down.
    full_env.setdefault("OPENBLAS_NUM_THREADS", "1")
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "skmlp", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=300,
    )


def run_in_process(capsys, *args):
    """Call ``skmlp._cli.main(ARGS)`` in this process (fast; same code path).

    Used for the exhaustive lists of error cases; each kind of error is also
    exercised once through a real subprocess above or below.
    """
    from skmlp._cli import main

    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:  # argparse: --help, usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, out, err)


def _images(rng, labels):
    """Crude but learnable digit-like images: a bright block per class."""
    X = rng.integers(0, 40, size=(len(labels), 784))
    for i, label in enumerate(labels):
        rows = slice(2 * label + 2, 2 * label + 8)
        img = X[i].reshape(28, 28)
        img[rows, 4:24] = rng.integers(180, 256, size=(6, 20))
    return X


def write_train(path, n=N_TRAIN, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 10
    rng.shuffle(y)
    X = _images(rng, y)
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["label", *(f"pixel{i}" for i in range(784))])
        for label, row in zip(y, X):
            w.writerow([label, *row])
    return path


def write_test(path, n=N_TEST, seed=1):
    rng = np.random.default_rng(seed)
    X = _images(rng, np.arange(n) % 10)
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow([f"pixel{i}" for i in range(784)])
        w.writerows(X.tolist())
    return path


def assert_one_line_error(proc, status=1, contains=()):
    assert proc.returncode == status, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("skmlp: error: "), lines[0]
    for text in contains:
        assert text in lines[0], lines[0]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    train = write_train(d / "train.csv")
    test = write_test(d / "test.csv")
    model = d / "model.skops"
    proc = run("train", train, "--model", model, *TINY, "--seed", "3")
    assert proc.returncode == 0, proc.stderr
    return {"dir": d, "train": train, "test": test, "model": model, "proc": proc}


# --------------------------------------------------------------- happy paths
def test_train_writes_a_skops_model(files):
    proc = files["proc"]
    assert "Traceback" not in proc.stderr
    assert files["model"].is_file()
    assert "Training accuracy:" in proc.stdout
    # The default trains on every image: nothing held out, no validation.
    assert "Validation accuracy:" not in proc.stdout
    assert "Trained in" in proc.stdout
    assert f"Saved the model to {files['model']}" in proc.stdout
    # --quiet: no per-epoch lines
    assert "training loss" not in proc.stdout
    # Warnings (the batch size larger than the 108 training rows) become
    # one line each.
    lines = proc.stderr.splitlines()
    assert all(line.startswith("skmlp: warning: ") for line in lines), lines


def test_warnings_are_one_line_each(files, tmp_path, capsys):
    proc = run_in_process(
        capsys, "train", files["train"], "--model", tmp_path / "m.skops",
        *TINY, "--lr-schedule", "constant", "--batch-size", "16",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    # A constant rate that runs out of epochs: scikit-learn's "not
    # converged" warning, with what to do about it.
    assert proc.stderr.startswith("skmlp: warning: Stochastic Optimizer")
    assert proc.stderr.strip().endswith("(raise --epochs to train longer)")
    assert len(proc.stderr.strip().splitlines()) == 1
    # The cosine schedule (the default) ends at --epochs by design: silent.
    proc = run_in_process(
        capsys, "train", files["train"], "--model", tmp_path / "m.skops",
        *TINY, "--batch-size", "16",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""


def test_model_file_is_a_pipeline_with_only_expected_untrusted_types(files):
    import skops.io as sio
    from sklearn.pipeline import Pipeline

    from skmlp import NumpyMLPClassifier
    from skmlp._cli import trusted_types

    found = sio.get_untrusted_types(file=files["model"])
    assert set(found) <= set(trusted_types())
    assert "skmlp._classifier.NumpyMLPClassifier" in found
    model = sio.load(files["model"], trusted=found)
    assert isinstance(model, Pipeline)
    assert isinstance(model[-1], NumpyMLPClassifier)
    assert model[-1].hidden_layer_sizes == (16,)
    assert model[-1].max_iter == 5
    assert model[-1].verbose is False
    assert not hasattr(model, "_skl_callbacks")


def test_predict_writes_a_submission(files):
    out = files["dir"] / "submission.csv"
    proc = run("predict", files["test"], "--model", files["model"], "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"Wrote {N_TEST} predictions" in proc.stdout
    lines = out.read_text().splitlines()
    assert lines[0] == "ImageId,Label"
    assert len(lines) == N_TEST + 1
    rows = [line.split(",") for line in lines[1:]]
    assert [int(r[0]) for r in rows] == list(range(1, N_TEST + 1))
    assert all(0 <= int(r[1]) <= 9 for r in rows)


def test_predict_default_out_in_cwd(files, tmp_path):
    proc = run("predict", files["test"], "--model", files["model"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "submission.csv").read_text().startswith("ImageId,Label\n")


def test_evaluate_prints_accuracy_and_confusion_matrix(files):
    proc = run("evaluate", files["train"], "--model", files["model"])
    assert proc.returncode == 0, proc.stderr
    assert "Accuracy on" in proc.stdout
    assert "% (" in proc.stdout
    assert "Confusion matrix" in proc.stdout
    assert "true\\pred" in proc.stdout
    assert "Time:" in proc.stdout


def test_train_options_and_progress_lines(tmp_path, files):
    model = tmp_path / "m.skops"
    proc = run(
        "train",
        files["train"],
        "--model",
        model,
        "--hidden",
        "12,8",
        "--solver",
        "sgd",
        "--epochs",
        "3",
        "--validation-fraction",
        "0",
        "--batch-size",
        "32",
        "--learning-rate",
        "0.05",
        "--alpha",
        "0.001",
        "--seed",
        "1",
        "--dtype",
        "float64",
        "--label-smoothing",
        "0.1",
        "--lr-schedule",
        "cosine",
        "--dropout",
        "0.25",
        "--weight-decay",
        "0.01",
        "--augment",
        "--max-shift",
        "1",
        "--patience",
        "4",
    )
    assert proc.returncode == 0, proc.stderr
    # Not a terminal, not --quiet: one plain line per epoch.
    assert "epoch 1/3  training loss " in proc.stdout
    assert "epoch 3/3  training loss " in proc.stdout
    assert "s/epoch" in proc.stdout
    assert "validation" not in proc.stdout.lower()
    # A cosine schedule ends at --epochs by design: no "not converged" line.
    assert "skmlp: warning: " not in proc.stderr
    assert "Traceback" not in proc.stderr

    import skops.io as sio

    clf = sio.load(model, trusted=sio.get_untrusted_types(file=model))[-1]
    assert clf.hidden_layer_sizes == (12, 8)
    assert clf.solver == "sgd"
    assert clf.max_iter == 3
    assert clf.early_stopping is False
    assert clf.batch_size == 32
    assert clf.learning_rate_init == 0.05
    assert clf.alpha == 0.001
    assert clf.random_state == 1
    assert clf.coefs_[0].dtype == np.float64
    assert clf.label_smoothing == 0.1
    assert clf.lr_schedule == "cosine"
    assert clf.dropout == 0.25
    assert clf.weight_decay == 0.01
    assert clf.n_iter_no_change == 4
    assert clf.augment.get_params() == {"shape": (28, 28), "max_shift": 1}


def test_a_validation_fraction_shows_validation_scores(tmp_path, files):
    # Off by default (it cost accuracy on unseen digits); asked for, the
    # progress lines and the summary show the held-out rows' accuracy.
    model = tmp_path / "m.skops"
    proc = run(
        "train", files["train"], "--model", model, "--hidden", "16",
        "--epochs", "3", "--validation-fraction", "0.25",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "epoch 3/3  training loss " in proc.stdout
    assert "  validation " in proc.stdout and "  best " in proc.stdout
    assert "Validation accuracy:" in proc.stdout
    assert "held out for validation" in proc.stdout  # the model description


def test_no_arguments_runs_the_demo():
    # The real no-argument job, with the default model: a few seconds.
    proc = run()
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    out = proc.stdout
    assert "demo" in out
    assert "epoch " in out and "training loss" in out  # progress lines
    assert "Held-out accuracy:" in out
    assert "Confusion matrix" in out
    assert "Time:" in out
    acc = float(out.split("Held-out accuracy:")[1].split("%")[0])
    assert acc > 85.0


def test_demo_options_without_command():
    proc = run("--epochs", "2", "--hidden", "8", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert "2 epochs" in proc.stdout
    assert "training loss" not in proc.stdout
    assert "Held-out accuracy:" in proc.stdout


def test_version():
    from skmlp import __version__

    proc = run("--version")
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"skmlp {__version__}"


# --------------------------------------------------------------------- help
OPTIONS = {
    None: ["--version", "--help", "demo", "train", "predict", "evaluate"],
    "demo": [
        "--hidden",
        "--solver",
        "--epochs",
        "--validation-fraction",
        "--batch-size",
        "--learning-rate",
        "--alpha",
        "--label-smoothing",
        "--lr-schedule",
        "--dropout",
        "--weight-decay",
        "--augment",
        "--max-shift",
        "--patience",
        "--seed",
        "--dtype",
        "--quiet",
    ],
    "train": [
        "TRAIN_CSV",
        "--model",
        "--hidden",
        "--solver",
        "--epochs",
        "--validation-fraction",
        "--batch-size",
        "--learning-rate",
        "--alpha",
        "--label-smoothing",
        "--lr-schedule",
        "--dropout",
        "--weight-decay",
        "--augment",
        "--max-shift",
        "--patience",
        "--seed",
        "--dtype",
        "--quiet",
        "--save-interrupted",
    ],
    "predict": ["TEST_CSV", "--model", "--out"],
    "evaluate": ["LABELLED_CSV", "--model"],
}


@pytest.mark.parametrize("command", list(OPTIONS))
def test_help(command):
    args = ([command] if command else []) + ["--help"]
    proc = run(*args)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    text = " ".join(proc.stdout.split())
    for option in OPTIONS[command]:
        assert option in text, option
    if command in ("demo", "train"):
        from skmlp._cli_parser import DEFAULT_AUGMENT_HIDDEN, DEFAULT_HIDDEN

        default, augmented = (
            ",".join(map(str, sizes))
            for sizes in (DEFAULT_HIDDEN, DEFAULT_AUGMENT_HIDDEN)
        )
        assert f"(default: {default}; {augmented} with --augment)" in text
        assert "MLPClassifier()" in text  # the measured comparison
        assert "epochs without improvement" in text  # the progress note


# ------------------------------------------------------------------- errors
def test_missing_input_file(tmp_path, files, capsys):
    proc = run("train", tmp_path / "nope.csv", "--model", tmp_path / "m.skops")
    assert_one_line_error(proc, contains=["nope.csv", "does not exist"])
    proc = run_in_process(
        capsys, "evaluate", tmp_path / "nope.csv", "--model", files["model"]
    )
    assert_one_line_error(proc, contains=["nope.csv", "does not exist"])
    proc = run_in_process(
        capsys,
        "predict",
        tmp_path / "nope.csv",
        "--model",
        files["model"],
        "--out",
        tmp_path / "s.csv",
    )
    assert_one_line_error(proc, contains=["nope.csv", "does not exist"])


def test_missing_model_file(files, tmp_path):
    proc = run("predict", files["test"], "--model", tmp_path / "nope.skops")
    assert_one_line_error(proc, contains=["nope.skops", "does not exist"])


def test_input_is_a_directory(tmp_path, capsys):
    proc = run_in_process(capsys, "train", tmp_path, "--model", tmp_path / "m.skops")
    assert_one_line_error(proc, contains=["directory"])


@pytest.mark.parametrize(
    "content",
    [
        "",  # empty
        "a,b,c\n1,2,3\n",  # wrong header
        "label," + ",".join(f"pixel{i}" for i in range(784)) + "\n3,1,2\n",
        "label,"
        + ",".join(f"pixel{i}" for i in range(784))
        + "\n3"
        + ",x" * 784
        + "\n",
        "label,"
        + ",".join(f"pixel{i}" for i in range(784))
        + "\n12"
        + ",0" * 784
        + "\n",
    ],
    ids=["empty", "header", "short-row", "not-numbers", "bad-label"],
)
def test_malformed_train_csv(tmp_path, capsys, content):
    bad = tmp_path / "bad.csv"
    bad.write_text(content)
    proc = run_in_process(capsys, "train", bad, "--model", tmp_path / "m.skops", *TINY)
    assert_one_line_error(proc, contains=["bad.csv"])
    assert not (tmp_path / "m.skops").exists()


def test_malformed_csv_through_the_command(tmp_path, files):
    bad = tmp_path / "short.csv"
    bad.write_text("label," + ",".join(f"pixel{i}" for i in range(784)) + "\n3,1,2\n")
    proc = run("evaluate", bad, "--model", files["model"])
    assert_one_line_error(proc, contains=["short.csv", "row 1"])


def test_binary_garbage_and_fake_gzip(tmp_path, files, capsys):
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(bytes(range(256)) * 20)
    proc = run_in_process(
        capsys, "train", garbage, "--model", tmp_path / "m.skops", *TINY
    )
    assert_one_line_error(proc, contains=["garbage.csv", "not a CSV text file"])
    fake = tmp_path / "fake.csv.gz"
    fake.write_text("not gzip at all")
    proc = run_in_process(
        capsys,
        "predict",
        fake,
        "--model",
        files["model"],
        "--out",
        tmp_path / "s.csv",
    )
    assert_one_line_error(proc, contains=["fake.csv.gz"])


def test_predict_on_a_labelled_file(files, tmp_path, capsys):
    proc = run_in_process(
        capsys,
        "predict",
        files["train"],
        "--model",
        files["model"],
        "--out",
        tmp_path / "s.csv",
    )
    assert_one_line_error(proc, contains=["label"])


def test_model_that_is_not_a_skops_file(files, tmp_path, capsys):
    text = tmp_path / "model.skops"
    text.write_text("this is not a model\n")
    proc = run("predict", files["test"], "--model", text)
    assert_one_line_error(proc, contains=["not a skops model file"])

    import pickle

    pickled = tmp_path / "pickled.skops"
    pickled.write_bytes(pickle.dumps({"a": 1}))
    proc = run_in_process(capsys, "evaluate", files["train"], "--model", pickled)
    assert_one_line_error(proc, contains=["not a skops model file"])


def test_skops_file_of_something_else(files, tmp_path, capsys):
    import skops.io as sio
    from sklearn.linear_model import LogisticRegression

    other = tmp_path / "other.skops"
    sio.dump(LogisticRegression(), other)
    proc = run_in_process(capsys, "evaluate", files["train"], "--model", other)
    assert_one_line_error(proc, contains=["LogisticRegression", "skmlp train"])


def test_skops_file_with_untrusted_types_is_refused(files, tmp_path, capsys):
    import collections

    import skops.io as sio

    suspicious = tmp_path / "suspicious.skops"
    sio.dump(collections.Counter(a=1), suspicious)
    assert sio.get_untrusted_types(file=suspicious)  # not trusted by default
    proc = run_in_process(capsys, "predict", files["test"], "--model", suspicious)
    assert_one_line_error(proc, contains=["refusing to load"])


def test_unwritable_outputs(files, tmp_path, capsys):
    missing_dir = tmp_path / "no" / "such" / "dir"
    proc = run_in_process(
        capsys, "train", files["train"], "--model", missing_dir / "m.skops", *TINY
    )
    assert_one_line_error(proc, contains=["does not exist"])
    proc = run_in_process(
        capsys,
        "predict",
        files["test"],
        "--model",
        files["model"],
        "--out",
        missing_dir / "s.csv",
    )
    assert_one_line_error(proc, contains=["does not exist"])


def test_too_few_rows_for_validation(tmp_path, capsys):
    small = write_train(tmp_path / "small.csv", n=10)
    args = ["train", small, "--model", tmp_path / "m.skops", *TINY]
    proc = run_in_process(capsys, *args, "--validation-fraction", "0.1")
    assert_one_line_error(proc, contains=["--validation-fraction"])


@pytest.mark.parametrize(
    "args",
    [
        ["train"],  # missing TRAIN_CSV
        ["train", "x.csv", "--hidden", "0"],
        ["train", "x.csv", "--hidden", "a,b"],
        ["train", "x.csv", "--epochs", "-1"],
        ["train", "x.csv", "--validation-fraction", "1.5"],
        ["train", "x.csv", "--batch-size", "0"],
        ["train", "x.csv", "--learning-rate", "0"],
        ["train", "x.csv", "--solver", "newton"],
        ["train", "x.csv", "--dtype", "float16"],
        ["train", "x.csv", "--seed", "-1"],
        ["train", "x.csv", "--seed", str(2**32)],
        ["train", "x.csv", "--bogus"],
        ["predict"],
        ["frobnicate"],
        ["--bogus"],
    ],
)
def test_usage_errors_exit_2(args, capsys):
    proc = run_in_process(capsys, *args)
    assert_one_line_error(proc, status=2)
    assert "--help" in proc.stderr


def test_usage_errors_through_the_command():
    for args in (["train"], ["predict", "t.csv", "--bogus"]):
        proc = run(*args)
        assert_one_line_error(proc, status=2)
        assert "--help" in proc.stderr


# ------------------------------------------------------------- in-process
def test_format_confusion_matrix():
    from skmlp._cli import format_confusion_matrix

    text = format_confusion_matrix(
        np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 2, 0])
    )
    lines = text.splitlines()
    assert lines[0].split() == ["true\\pred", "0", "1", "2", "total", "recall"]
    assert lines[1].split() == ["0", "1", "1", "0", "2", "50.0%"]
    assert lines[2].split() == ["1", "0", "1", "0", "1", "100.0%"]
    assert lines[3].split() == ["2", "1", "0", "2", "3", "66.7%"]


def test_build_pipeline_validation_fraction_controls_early_stopping():
    from skmlp._cli import build_pipeline

    assert build_pipeline(validation_fraction=0.2)[-1].early_stopping is True
    assert build_pipeline(validation_fraction=0.2)[-1].validation_fraction == 0.2
    assert build_pipeline(validation_fraction=0.0)[-1].early_stopping is False
    # lbfgs has no early stopping, whatever the fraction.
    lbfgs = build_pipeline(solver="lbfgs", validation_fraction=0.2)[-1]
    assert lbfgs.early_stopping is False


def test_build_pipeline_defaults_and_augment():
    from skmlp._cli import build_pipeline
    from skmlp.augment import ImageShift

    clf = build_pipeline()[-1]
    # The measured defaults (benchmarks/RESULTS_cli_defaults.md).
    assert clf.hidden_layer_sizes == (768,) and clf.alpha == 0.1
    assert clf.lr_schedule == "cosine" and clf.label_smoothing == 0.2
    # Every image trains (nothing held out), the last epoch is kept.
    assert clf.max_iter == 30 and not clf.early_stopping
    # The cosine schedule needs its end: no early stop before max_iter.
    assert clf.n_iter_no_change == clf.max_iter
    assert clf.augment is None
    # float32 is asked for, whatever the estimator's own default.
    assert clf.dtype == "float32"
    assert build_pipeline(lr_schedule="constant")[-1].n_iter_no_change == 10
    assert build_pipeline(patience=3)[-1].n_iter_no_change == 3
    augmented = build_pipeline(augment=True, max_shift=3)[-1]
    assert augmented.max_iter == 60 and augmented.n_iter_no_change == 60
    # --augment keeps the recipe's 512 units (768 cost 1.5x its time).
    assert augmented.hidden_layer_sizes == (512,)
    assert build_pipeline(augment=True, hidden=(64,))[-1].hidden_layer_sizes == (64,)
    assert build_pipeline(hidden=(64, 32))[-1].hidden_layer_sizes == (64, 32)
    assert isinstance(augmented.augment, ImageShift)
    assert augmented.augment.get_params() == {"shape": (28, 28), "max_shift": 3}
    assert build_pipeline(augment=True, epochs=7)[-1].max_iter == 7
    # Fewer epochs from 5,000 images up (as accurate there, faster), fewer
    # still from 12,000 (MLPClassifier()'s time otherwise).
    assert build_pipeline(n_images=4999)[-1].max_iter == 30
    assert build_pipeline(n_images=5000)[-1].max_iter == 25
    assert build_pipeline(n_images=11999)[-1].max_iter == 25
    assert build_pipeline(n_images=12000)[-1].max_iter == 20
    assert build_pipeline(n_images=42000)[-1].max_iter == 20
    assert build_pipeline(n_images=42000)[-1].n_iter_no_change == 20
    assert build_pipeline(n_images=42000, epochs=30)[-1].max_iter == 30
    assert build_pipeline(n_images=42000, augment=True)[-1].max_iter == 60


def test_hidden_default_follows_augment_from_the_command_line():
    from skmlp._cli import _pipeline_from_args
    from skmlp._cli_parser import build_parser

    def hidden(*argv):
        args = build_parser().parse_args(["train", "x.csv", *argv])
        return _pipeline_from_args(args, n_images=10000)[-1].hidden_layer_sizes

    assert hidden() == (768,)
    assert hidden("--augment") == (512,)
    assert hidden("--augment", "--hidden", "300,100") == (300, 100)
    assert hidden("--hidden", "512") == (512,)


def test_scale_pixels():
    from skmlp._cli import scale_pixels

    out = scale_pixels(np.array([[0, 255, 51]], dtype=np.uint8))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[0.0, 1.0, 0.2]], rtol=1e-6)


# ------------------------------------------------- found by a review pass
def test_train_with_lbfgs_and_a_validation_fraction(files, tmp_path):
    # It crashed after training (validation_scores_ read for lbfgs).
    model = tmp_path / "lbfgs.skops"
    proc = run(
        "train", files["train"], "--model", model, *TINY, "--solver", "lbfgs",
        "--validation-fraction", "0.1",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "at most 5 iterations" in proc.stdout
    assert "early stopping" not in proc.stdout
    assert model.exists()


def test_a_failed_submission_write_keeps_the_old_file(
    files, tmp_path, capsys, monkeypatch
):
    import skmlp.datasets

    out = tmp_path / "submission.csv"
    out.write_text("ImageId,Label\n1,7\n")
    real = skmlp.datasets.write_submission

    def half_then_fail(y, path, **kwargs):
        real(y[:3], path, **kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(skmlp.datasets, "write_submission", half_then_fail)
    proc = run_in_process(
        capsys, "predict", files["test"], "--model", files["model"], "--out", out
    )
    assert_one_line_error(proc, contains=["No space left on device"])
    assert out.read_text() == "ImageId,Label\n1,7\n"
    assert [p.name for p in tmp_path.iterdir()] == ["submission.csv"]


def test_zip_submission_names_its_member_after_the_archive(files, tmp_path):
    import zipfile

    out = tmp_path / "sub.csv.zip"
    proc = run("predict", files["test"], "--model", files["model"], "--out", out)
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(out) as archive:
        assert archive.namelist() == ["sub.csv"]
        assert archive.read("sub.csv").startswith(b"ImageId,Label\n1,")


def test_outputs_that_would_overwrite_an_input_are_refused(files, tmp_path, capsys):
    train = write_train(tmp_path / "train.csv")
    before = train.read_bytes()
    proc = run_in_process(capsys, "train", train, "--model", train, *TINY)
    assert_one_line_error(proc, contains=["training file", "destroy"])
    assert train.read_bytes() == before
    for out, what in ((files["test"], "test file"), (files["model"], "model file")):
        before = Path(out).read_bytes()
        proc = run_in_process(
            capsys, "predict", files["test"], "--model", files["model"], "--out", out
        )
        assert_one_line_error(proc, contains=[what, "destroy"])
        assert Path(out).read_bytes() == before


def test_wrong_kind_of_file_points_to_the_other_command(files, tmp_path, capsys):
    proc = run_in_process(
        capsys, "train", files["test"], "--model", tmp_path / "m.skops", *TINY
    )
    assert_one_line_error(proc, contains=["skmlp predict"])
    assert "load_kaggle" not in proc.stderr
    proc = run_in_process(capsys, "evaluate", files["test"], "--model", files["model"])
    assert_one_line_error(proc, contains=["skmlp predict"])


def test_missing_skops_fails_before_training(files, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "skops", None)
    monkeypatch.setitem(sys.modules, "skops.io", None)
    proc = run_in_process(
        capsys, "train", files["train"], "--model", tmp_path / "m.skops", *TINY
    )
    assert_one_line_error(proc, contains=["skops", "pip install"])
    assert "Read " not in proc.stdout  # nothing was read or trained


def test_skmlp_debug_zero_means_off(tmp_path):
    proc = run(
        "train",
        tmp_path / "missing.csv",
        "--model",
        tmp_path / "m.skops",
        env={"SKMLP_DEBUG": "0"},
    )
    assert_one_line_error(proc, contains=["does not exist"])


# ---------------------------------------------------- found by a newcomer
def _train_until_first_epoch_then_ctrl_c(train, model, *extra):
    """Start ``skmlp train``, send SIGINT once an epoch line is printed."""
    import signal

    env = dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1")
    env.pop("SKMLP_DEBUG", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "skmlp", "train", str(train), "--model", str(model),
         "--hidden", "64", "--epochs", "100000", "--patience", "100000", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("epoch "):
            proc.send_signal(signal.SIGINT)
            break
    out, err = proc.communicate(timeout=300)
    return proc.returncode, "".join(lines) + out, err


def test_ctrl_c_during_train_keeps_the_existing_model(files, tmp_path):
    model = tmp_path / "model.skops"
    model.write_bytes(files["model"].read_bytes())
    before = model.read_bytes()
    code, out, err = _train_until_first_epoch_then_ctrl_c(files["train"], model)
    assert code == 130, (out, err)
    assert "Traceback" not in err
    assert "interrupted" in err and "not saved" in err
    assert "--save-interrupted" in err
    assert model.read_bytes() == before
    assert "Saved the model" not in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.skops"]


def test_ctrl_c_with_save_interrupted_saves_the_partial_model(files, tmp_path):
    import skops.io as sio

    model = tmp_path / "model.skops"
    model.write_bytes(files["model"].read_bytes())
    code, out, err = _train_until_first_epoch_then_ctrl_c(
        files["train"], model, "--save-interrupted"
    )
    assert code == 130, (out, err)
    assert "saved the model as it was" in err
    clf = sio.load(model, trusted=sio.get_untrusted_types(file=model))[-1]
    assert clf.hidden_layer_sizes == (64,)  # the new, interrupted model
    assert clf.n_iter_ < 100000


def test_ctrl_c_outside_the_training_loop(files, tmp_path, capsys, monkeypatch):
    import skmlp._cli

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    model = tmp_path / "model.skops"
    model.write_bytes(b"old model")
    monkeypatch.setattr(skmlp._cli, "_read_csv", interrupted)
    proc = run_in_process(capsys, "train", files["train"], "--model", model, *TINY)
    assert proc.returncode == 130
    assert "interrupted" in proc.stderr
    assert model.read_bytes() == b"old model"
