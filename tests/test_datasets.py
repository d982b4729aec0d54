"""Tests for skmlp.datasets (Kaggle CSV readers/writer and the embedded sample).

Every file is built in ``tmp_path``; nothing here needs ``../shared``.
"""

from __future__ import annotations

import gzip
import io
import warnings

import numpy as np
import pandas as pd
import pytest

from skmlp.datasets import (
    _kaggle,
    iter_kaggle_train,
    load_digits_sample,
    load_kaggle_test,
    load_kaggle_train,
    write_submission,
)

PIXELS = [f"pixel{i}" for i in range(784)]
TRAIN_HEADER = ["label", *PIXELS]


def make_data(n=7, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 256, size=(n, 784), dtype=np.int64)
    X[:, :5] = [0, 255, 1, 254, 128]  # make sure the extremes occur
    y = np.arange(n) % 10
    return X, y


def rows_as_text(header, rows):
    """CSV text from a header list and rows given as lists of cell strings."""
    lines = [",".join(header)] + [",".join(r) for r in rows]
    return "\n".join(lines) + "\n"


def train_rows(X, y):
    return [[str(int(a)), *map(str, r)] for a, r in zip(y, X, strict=True)]


def pixel_rows(X):
    return [list(map(str, r)) for r in X]


def train_text(X, y):
    return rows_as_text(TRAIN_HEADER, train_rows(X, y))


def pixel_text(X):
    return rows_as_text(PIXELS, pixel_rows(X))


def write(tmp_path, text, name="train.csv"):
    path = tmp_path / name
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


# --------------------------------------------------------------------------- #
# Round trips
# --------------------------------------------------------------------------- #
OPENERS = {
    "str path": lambda p: str(p),
    "Path": lambda p: p,
    "text file object": lambda p: open(p, newline=""),
    "binary file object": lambda p: open(p, "rb"),
    "StringIO": lambda p: io.StringIO(
        gzip.decompress(p.read_bytes()).decode() if p.suffix == ".gz" else p.read_text()
    ),
}


def _close(src):
    if hasattr(src, "close"):
        src.close()


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
@pytest.mark.parametrize("opener", list(OPENERS))
def test_load_kaggle_train_round_trip(tmp_path, suffix, opener):
    X, y = make_data()
    path = write(tmp_path, train_text(X, y), "train" + suffix)
    if opener == "text file object" and suffix == ".csv.gz":
        src = gzip.open(path, "rt", newline="")
    else:
        src = OPENERS[opener](path)
    try:
        X2, y2 = load_kaggle_train(src)
    finally:
        _close(src)
    assert X2.dtype == np.uint8 and X2.shape == (7, 784)
    assert y2.dtype == np.int64 and y2.shape == (7,)
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, y)


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
@pytest.mark.parametrize("opener", list(OPENERS))
def test_load_kaggle_test_round_trip(tmp_path, suffix, opener):
    X, _ = make_data(n=5)
    path = write(tmp_path, pixel_text(X), "test" + suffix)
    if opener == "text file object" and suffix == ".csv.gz":
        src = gzip.open(path, "rt", newline="")
    else:
        src = OPENERS[opener](path)
    try:
        X2 = load_kaggle_test(src)
    finally:
        _close(src)
    assert X2.dtype == np.uint8 and X2.shape == (5, 784)
    np.testing.assert_array_equal(X2, X)


def test_round_trip_of_a_pandas_written_file(tmp_path):
    X, y = make_data(n=12)
    frame = pd.DataFrame(np.column_stack([y, X]), columns=TRAIN_HEADER)
    path = tmp_path / "train.csv.gz"
    frame.to_csv(path, index=False)
    X2, y2 = load_kaggle_train(path)
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, y)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int16, np.uint16])
def test_dtype_parameter(tmp_path, dtype):
    X, y = make_data()
    path = write(tmp_path, train_text(X, y))
    X2, y2 = load_kaggle_train(path, dtype=dtype)
    assert X2.dtype == dtype and y2.dtype == np.int64
    np.testing.assert_array_equal(X2, X)
    X3 = load_kaggle_test(io.StringIO(pixel_text(X)), dtype=dtype)
    assert X3.dtype == dtype


@pytest.mark.parametrize("dtype", [np.int8, np.bool_, object, "not-a-dtype"])
def test_dtype_that_cannot_hold_0_255_is_rejected(tmp_path, dtype):
    X, y = make_data()
    path = write(tmp_path, train_text(X, y))
    with pytest.raises(ValueError, match="dtype"):
        load_kaggle_train(path, dtype=dtype)
    with pytest.raises(ValueError, match="dtype"):
        iter_kaggle_train(path, dtype=dtype)


def test_integral_float_cells_are_accepted(tmp_path):
    # "7.0" is an integer value; only fractional values are rejected.
    X, y = make_data(n=3)
    rows = train_rows(X, y)
    rows[1][0] = f"{y[1]}.0"
    rows[2][10] = f"{X[2, 9]}.0"
    X2, y2 = load_kaggle_train(io.StringIO(rows_as_text(TRAIN_HEADER, rows)))
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, y)


def test_clean_file_emits_no_warnings(tmp_path):
    X, y = make_data()
    path = write(tmp_path, train_text(X, y))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        X2, _ = load_kaggle_train(path)
    assert X2.shape == (7, 784)


# --------------------------------------------------------------------------- #
# Chunked streaming
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
def test_iter_kaggle_train_equals_full_load(tmp_path, suffix):
    X, y = make_data(n=23)
    path = write(tmp_path, train_text(X, y), "train" + suffix)
    chunks = list(iter_kaggle_train(path, chunksize=5))  # 5 does not divide 23
    assert [len(c[0]) for c in chunks] == [5, 5, 5, 5, 3]
    assert all(len(Xc) == len(yc) for Xc, yc in chunks)
    assert all(Xc.dtype == np.uint8 and yc.dtype == np.int64 for Xc, yc in chunks)
    X_full, y_full = load_kaggle_train(path)
    np.testing.assert_array_equal(np.concatenate([c[0] for c in chunks]), X_full)
    np.testing.assert_array_equal(np.concatenate([c[1] for c in chunks]), y_full)
    np.testing.assert_array_equal(X_full, X)


def test_iter_kaggle_train_from_file_object_with_dtype():
    X, y = make_data(n=9)
    chunks = list(
        iter_kaggle_train(io.StringIO(train_text(X, y)), chunksize=4, dtype=np.float32)
    )
    assert [len(c[0]) for c in chunks] == [4, 4, 1]
    assert chunks[0][0].dtype == np.float32
    np.testing.assert_array_equal(np.concatenate([c[0] for c in chunks]), X)


def test_iter_kaggle_train_error_uses_whole_file_row_numbers():
    X, y = make_data(n=20)
    rows = train_rows(X, y)
    rows[12][4] = "300"  # data row 13, column pixel3, in the 3rd chunk of 5
    it = iter_kaggle_train(io.StringIO(rows_as_text(TRAIN_HEADER, rows)), chunksize=5)
    first, second = next(it), next(it)  # the good chunks come through
    np.testing.assert_array_equal(np.concatenate([first[0], second[0]]), X[:10])
    with pytest.raises(ValueError) as exc:
        next(it)
    msg = str(exc.value)
    assert "row 13 (line 14 of the file)" in msg
    assert "'pixel3'" in msg and "300" in msg


def test_load_error_in_a_later_internal_chunk_uses_file_row_numbers(monkeypatch):
    # The full loaders read in chunks internally too.
    monkeypatch.setattr(_kaggle, "_DEFAULT_CHUNKSIZE", 4)
    X, y = make_data(n=11)
    rows = train_rows(X, y)
    rows[9][0] = "12"  # data row 10, label
    with pytest.raises(ValueError, match=r"row 10 \(line 11 of the file\)") as exc:
        load_kaggle_train(io.StringIO(rows_as_text(TRAIN_HEADER, rows)))
    assert "'label'" in str(exc.value)
    good = train_text(X, y)
    X2, _ = load_kaggle_train(io.StringIO(good))
    np.testing.assert_array_equal(X2, X)


@pytest.mark.parametrize("chunksize", [0, -3, 2.5, "10", True, None])
def test_iter_kaggle_train_rejects_bad_chunksize(chunksize):
    with pytest.raises(ValueError, match="chunksize"):
        iter_kaggle_train(io.StringIO("label\n"), chunksize=chunksize)


def test_iter_kaggle_train_closes_the_file_it_opened(tmp_path):
    X, y = make_data(n=10)
    path = write(tmp_path, train_text(X, y))
    it = iter_kaggle_train(path, chunksize=3)
    next(it)
    it.close()  # must not raise, and the generator is finished
    with pytest.raises(StopIteration):
        next(it)


# --------------------------------------------------------------------------- #
# Malformed files: values
# --------------------------------------------------------------------------- #
def _mutate(rows, r, c, value):
    rows = [list(row) for row in rows]
    rows[r][c] = value
    return rows


# (description, function(rows) -> rows, expected message fragments)
VALUE_ERRORS = [
    ("non-numeric pixel", lambda R: _mutate(R, 2, 6, "abc"),
     ["row 3 (line 4 of the file)", "'pixel5'", "'abc'", "not a number"]),
    ("non-numeric label", lambda R: _mutate(R, 1, 0, "seven"),
     ["row 2 (line 3 of the file)", "'label'", "not a number"]),
    ("boolean cell", lambda R: _mutate(R, 0, 1, "True"),
     ["row 1 (line 2 of the file)", "'pixel0'", "not a number"]),
    ("missing pixel", lambda R: _mutate(R, 3, 101, ""),
     ["row 4 (line 5 of the file)", "'pixel100'", "missing value"]),
    ("NA pixel", lambda R: _mutate(R, 3, 50, "NA"),
     ["row 4 (line 5 of the file)", "'pixel49'", "missing value"]),
    ("missing label", lambda R: _mutate(R, 4, 0, ""),
     ["row 5 (line 6 of the file)", "'label'", "missing value"]),
    ("non-integer pixel", lambda R: _mutate(R, 1, 784, "12.5"),
     ["row 2 (line 3 of the file)", "'pixel783'", "12.5", "not an integer"]),
    ("non-integer label", lambda R: _mutate(R, 2, 0, "3.25"),
     ["row 3 (line 4 of the file)", "'label'", "not an integer"]),
    ("pixel 256", lambda R: _mutate(R, 5, 300, "256"),
     ["row 6 (line 7 of the file)", "'pixel299'", "256", "outside 0-255"]),
    ("pixel -1", lambda R: _mutate(R, 0, 784, "-1"),
     ["row 1 (line 2 of the file)", "'pixel783'", "-1", "outside 0-255"]),
    ("huge pixel", lambda R: _mutate(R, 1, 2, "99999999999999999999999"),
     ["row 2 (line 3 of the file)", "'pixel1'", "outside 0-255"]),
    ("label 10", lambda R: _mutate(R, 6, 0, "10"),
     ["row 7 (line 8 of the file)", "'label'", "10", "outside 0-9"]),
    ("label -1", lambda R: _mutate(R, 2, 0, "-1"),
     ["row 3 (line 4 of the file)", "'label'", "outside 0-9"]),
    ("too few fields", lambda R: R[:3] + [R[3][:100]] + R[4:],
     ["row 4 (line 5 of the file)", "'pixel99'", "missing value", "only 100"]),
    ("too many fields", lambda R: R[:2] + [R[2] + ["7"]] + R[3:],
     ["row 3 (line 4 of the file)", "786 fields", "785 columns"]),
    ("too many fields in row 1", lambda R: [R[0] + ["7"]] + R[1:],
     ["row 1 (line 2 of the file)", "more fields"]),
    ("blank line", lambda R: R[:1] + [[""]] + R[1:],
     ["row 2 (line 3 of the file)", "blank"]),
    ("blank lines before the last row", lambda R: R[:-1] + [[""], [""]] + R[-1:],
     ["row 7 (line 8 of the file)", "blank"]),
    # Two problems: the earlier ROW is reported, even if its column is later.
    ("first bad row wins",
     lambda R: _mutate(_mutate(R, 4, 1, "x"), 1, 700, "999"),
     ["row 2 (line 3 of the file)", "'pixel699'", "999"]),
    # Two problems in one row: the leftmost column is reported.
    ("first bad column wins",
     lambda R: _mutate(_mutate(R, 2, 9, "1.5"), 2, 400, "oops"),
     ["row 3 (line 4 of the file)", "'pixel8'", "not an integer"]),
]  # fmt: skip


@pytest.mark.parametrize(
    "make_rows, fragments",
    [e[1:] for e in VALUE_ERRORS],
    ids=[e[0] for e in VALUE_ERRORS],
)
@pytest.mark.parametrize("reader", ["load", "iter", "iter-chunks-of-2"])
def test_train_value_errors_name_row_and_column(tmp_path, make_rows, fragments, reader):
    X, y = make_data()
    path = write(tmp_path, rows_as_text(TRAIN_HEADER, make_rows(train_rows(X, y))))
    with pytest.raises(ValueError) as exc:
        if reader == "load":
            load_kaggle_train(path)
        else:
            list(iter_kaggle_train(path, chunksize=2 if "2" in reader else 10_000))
    msg = str(exc.value)
    for fragment in fragments:
        assert fragment in msg, (fragment, msg)
    assert "train.csv" in msg  # the file is named too


def test_extra_fields_in_row_1_are_caught_even_if_warnings_are_ignored():
    # pandas only *warns* (ParserWarning) and drops the extra values when the
    # first data row is too long; the reader must turn that into an error
    # whatever the user's warning filters are, and on every call.
    X, y = make_data(n=3)
    rows = train_rows(X, y)
    text = rows_as_text(TRAIN_HEADER, [rows[0] + ["5"], *rows[1:]])
    for action in ["ignore", "default", "error"]:
        with warnings.catch_warnings():
            warnings.simplefilter(action)
            for _ in range(2):
                with pytest.raises(ValueError, match=r"row 1 \(line 2 of the file\)"):
                    load_kaggle_train(io.StringIO(text))


TEST_FILE_ERRORS = [
    ("non-numeric", lambda R: _mutate(R, 1, 0, "?"),
     ["row 2 (line 3 of the file)", "'pixel0'", "not a number"]),
    ("missing", lambda R: _mutate(R, 2, 783, ""),
     ["row 3 (line 4 of the file)", "'pixel783'", "missing value"]),
    ("non-integer", lambda R: _mutate(R, 0, 10, "0.5"),
     ["row 1 (line 2 of the file)", "'pixel10'", "not an integer"]),
    ("out of range", lambda R: _mutate(R, 3, 20, "1000"),
     ["row 4 (line 5 of the file)", "'pixel20'", "outside 0-255"]),
]  # fmt: skip


@pytest.mark.parametrize(
    "make_rows, fragments",
    [e[1:] for e in TEST_FILE_ERRORS],
    ids=[e[0] for e in TEST_FILE_ERRORS],
)
def test_test_file_value_errors_name_row_and_column(tmp_path, make_rows, fragments):
    X, _ = make_data(n=4)
    text = rows_as_text(PIXELS, make_rows(pixel_rows(X)))
    with pytest.raises(ValueError) as exc:
        load_kaggle_test(write(tmp_path, text, "test.csv.gz"))
    for fragment in fragments:
        assert fragment in str(exc.value), (fragment, str(exc.value))


# --------------------------------------------------------------------------- #
# Malformed files: header, empty, missing
# --------------------------------------------------------------------------- #
def _header_case(header_fn, drop=None):
    """Rows whose cell count follows the header (optionally dropping a column)."""

    def build(X, y):
        header = header_fn(list(TRAIN_HEADER))
        rows = train_rows(X, y)
        if drop is not None:
            rows = [r[:drop] + r[drop + 1 :] for r in rows]
        elif len(header) > len(TRAIN_HEADER):
            rows = [r + ["0"] for r in rows]
        return rows_as_text(header, rows)

    return build


def _swap(h, i, j):
    h[i], h[j] = h[j], h[i]
    return h


HEADER_ERRORS = [
    ("missing label column", _header_case(lambda h: h[1:], drop=0),
     ["'label'", "line 1"]),
    ("label not first", _header_case(lambda h: h[1:3] + ["label"] + h[3:]),
     ["column 1", "'pixel0'", "'label'", "must be the first column", "column 3"]),
    ("missing last pixel column", _header_case(lambda h: h[:-1], drop=784),
     ["'pixel783'", "missing"]),
    ("missing middle pixel column",
     _header_case(lambda h: h[:301] + h[302:], drop=301),
     ["column 302", "'pixel301'", "'pixel300'", "missing"]),
    ("extra column", _header_case(lambda h: h + ["extra"]),
     ["column 786", "'extra'"]),
    ("misnamed column", _header_case(lambda h: h[:6] + ["pixel_5"] + h[7:]),
     ["column 7", "'pixel_5'", "'pixel5'"]),
    ("misordered columns", _header_case(lambda h: _swap(h, 2, 3)),
     ["column 3", "'pixel2'", "'pixel1'", "out of order"]),
    ("duplicated column", _header_case(lambda h: h[:9] + ["pixel0"] + h[10:]),
     ["column 10", "'pixel8'", "duplicated"]),
]  # fmt: skip


@pytest.mark.parametrize(
    "build, fragments",
    [e[1:] for e in HEADER_ERRORS],
    ids=[e[0] for e in HEADER_ERRORS],
)
@pytest.mark.parametrize("reader", ["load", "iter"])
def test_header_errors_name_the_column(tmp_path, build, fragments, reader):
    X, y = make_data(n=3)
    path = write(tmp_path, build(X, y))
    with pytest.raises(ValueError) as exc:
        if reader == "load":
            load_kaggle_train(path)
        else:
            list(iter_kaggle_train(path, chunksize=2))
    msg = str(exc.value)
    for fragment in fragments:
        assert fragment in msg, (fragment, msg)


def test_test_reader_rejects_a_train_file(tmp_path):
    X, y = make_data(n=3)
    path = write(tmp_path, train_text(X, y))
    with pytest.raises(ValueError, match="'label' column") as exc:
        load_kaggle_test(path)
    assert "load_kaggle_train" in str(exc.value)


def test_train_reader_rejects_a_test_file(tmp_path):
    X, _ = make_data(n=3)
    path = write(tmp_path, pixel_text(X), "test.csv")
    with pytest.raises(ValueError, match="no 'label' column") as exc:
        load_kaggle_train(path)
    assert "load_kaggle_test" in str(exc.value)


@pytest.mark.parametrize("suffix", [".csv", ".csv.gz"])
@pytest.mark.parametrize(
    "reader",
    [
        load_kaggle_train,
        load_kaggle_test,
        lambda p: list(iter_kaggle_train(p)),
    ],
    ids=["train", "test", "iter"],
)
def test_empty_file(tmp_path, suffix, reader):
    path = write(tmp_path, "", "empty" + suffix)
    with pytest.raises(ValueError, match="is empty"):
        reader(path)


@pytest.mark.parametrize(
    "reader, header",
    [
        (load_kaggle_train, TRAIN_HEADER),
        (load_kaggle_test, PIXELS),
        (lambda p: list(iter_kaggle_train(p, chunksize=3)), TRAIN_HEADER),
    ],
    ids=["train", "test", "iter"],
)
def test_header_only_file(tmp_path, reader, header):
    path = write(tmp_path, ",".join(header) + "\n")
    with pytest.raises(ValueError, match="no data rows"):
        reader(path)


@pytest.mark.parametrize(
    "reader",
    [load_kaggle_train, load_kaggle_test, lambda p: next(iter_kaggle_train(p))],
    ids=["train", "test", "iter"],
)
def test_nonexistent_path_raises_file_not_found(tmp_path, reader):
    path = tmp_path / "no_such_dir" / "train.csv"
    with pytest.raises(FileNotFoundError) as exc:
        reader(path)
    assert "no_such_dir" in str(exc.value)


# --------------------------------------------------------------------------- #
# Submission writer
# --------------------------------------------------------------------------- #
def test_write_submission_to_path(tmp_path):
    pred = np.array([3, 1, 4, 1, 5, 9, 2, 6, 0, 7, 8], dtype=np.int32)
    path = tmp_path / "submission.csv"
    write_submission(pred, path)
    lines = path.read_text().splitlines()
    assert lines[0] == "ImageId,Label"
    assert len(lines) == len(pred) + 1
    assert lines[1] == "1,3" and lines[-1] == f"{len(pred)},8"
    frame = pd.read_csv(path)
    assert list(frame.columns) == ["ImageId", "Label"]
    np.testing.assert_array_equal(frame["ImageId"], np.arange(1, len(pred) + 1))
    np.testing.assert_array_equal(frame["Label"], pred)


def test_write_submission_gz_and_file_object(tmp_path):
    pred = list(range(10)) * 3
    gz_path = tmp_path / "submission.csv.gz"
    write_submission(pred, gz_path)
    assert gz_path.read_bytes()[:2] == b"\x1f\x8b"  # really gzip-compressed
    text = gzip.decompress(gz_path.read_bytes()).decode()
    buf = io.StringIO()
    write_submission(np.asarray(pred, dtype=np.uint8), buf)
    assert buf.getvalue() == text
    assert text.startswith("ImageId,Label\n1,0\n2,1\n")
    assert text.count("\n") == 31 and "\r" not in text


def test_submission_round_trip_with_test_reader(tmp_path):
    # A realistic flow: read test.csv, predict, write one line per test row.
    X, _ = make_data(n=6)
    X_test = load_kaggle_test(io.StringIO(pixel_text(X)))
    pred = X_test[:, 4].astype(np.int64) % 10
    path = tmp_path / "sub.csv"
    write_submission(pred, path)
    frame = pd.read_csv(path)
    assert len(frame) == len(X_test)
    np.testing.assert_array_equal(frame["ImageId"], np.arange(1, 7))
    np.testing.assert_array_equal(frame["Label"], pred)


@pytest.mark.parametrize(
    "pred, match",
    [
        (np.zeros((4, 1), dtype=int), r"1-D.*\.ravel\(\)"),
        (np.zeros((2, 3), dtype=int), "1-D"),
        (np.int64(3), "1-D"),
        (np.array([], dtype=int), "empty"),
        (np.array([1.0, 2.0]), "integers 0-9.*float64"),
        (np.array(["1", "2"]), "integers 0-9"),
        (np.array([True, False]), "integers 0-9"),
        (np.array([1, 2, 10, 3]), r"predictions\[2\] = 10 \(ImageId 3\)"),
        (np.array([0, -1]), r"predictions\[1\] = -1 \(ImageId 2\)"),
    ],
)
def test_write_submission_rejects_bad_predictions(tmp_path, pred, match):
    path = tmp_path / "sub.csv"
    with pytest.raises(ValueError, match=match):
        write_submission(pred, path)
    assert not path.exists()  # nothing half-written


# --------------------------------------------------------------------------- #
# Embedded sample
# --------------------------------------------------------------------------- #
def test_load_digits_sample():
    X, y = load_digits_sample()
    assert X.shape == (3000, 784) and X.dtype == np.uint8
    assert y.shape == (3000,) and y.dtype == np.int64
    assert y.min() >= 0 and y.max() <= 9
    counts = np.bincount(y, minlength=10)
    assert (counts > 0).all() and len(counts) == 10
    # Stratified from roughly balanced MNIST: no class is tiny.
    assert counts.min() >= 200
    # Real digits: mostly background, some full-intensity ink, all distinct.
    assert X.max() == 255 and 0.6 < (X == 0).mean() < 0.95
    assert len(np.unique(X, axis=0)) == len(X)
    X2, y2 = load_digits_sample()
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)


def test_load_digits_sample_bunch():
    bunch = load_digits_sample(return_X_y=False)
    X, y = load_digits_sample()
    np.testing.assert_array_equal(bunch.data, X)
    np.testing.assert_array_equal(bunch.target, y)
    assert bunch.images.shape == (3000, 28, 28)
    np.testing.assert_array_equal(bunch.images[5].ravel(), X[5])
    assert bunch.feature_names[:2] == ["pixel0", "pixel1"]
    assert len(bunch.feature_names) == 784
    np.testing.assert_array_equal(bunch.target_names, np.arange(10))
    assert "CC BY-SA 3.0" in bunch.DESCR and "LeCun" in bunch.DESCR


def test_public_api():
    import skmlp.datasets as ds

    assert sorted(ds.__all__) == [
        "iter_kaggle_train",
        "load_digits_sample",
        "load_kaggle_test",
        "load_kaggle_train",
        "write_submission",
    ]
    for name in ds.__all__:
        assert getattr(ds, name).__doc__.strip()


# Found by a review pass: the bytes decide, not the name; the delimiter and
# the encoding of a file that is not a Kaggle CSV are named.
def test_compressed_data_is_read_whatever_the_name(tmp_path):
    import zipfile

    X, y = make_data()
    text = rows_as_text(TRAIN_HEADER, train_rows(X, y))
    gz = tmp_path / "really_gzip.csv"
    gz.write_bytes(gzip.compress(text.encode()))
    zipped = tmp_path / "really_zip.csv"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("train.csv", text)
    for source in (gz, zipped, open(gz, "rb"), open(zipped, "rb")):
        X_read, y_read = load_kaggle_train(source)
        _close(source)
        np.testing.assert_array_equal(X_read, X)
        np.testing.assert_array_equal(y_read, y)


@pytest.mark.parametrize("sep, name", [(";", "semicolons"), ("\t", "tabs")])
def test_other_delimiters_are_named(tmp_path, sep, name):
    X, y = make_data()
    path = tmp_path / "train.csv"
    path.write_text(rows_as_text(TRAIN_HEADER, train_rows(X, y)).replace(",", sep))
    with pytest.raises(ValueError, match=f"separated by {name}, but a Kaggle CSV"):
        load_kaggle_train(path)


def test_utf16_file_is_named(tmp_path):
    X, y = make_data()
    path = tmp_path / "train.csv"
    path.write_bytes(rows_as_text(TRAIN_HEADER, train_rows(X, y)).encode("utf-16"))
    with pytest.raises(ValueError, match="UTF-16"):
        load_kaggle_train(path)


@pytest.mark.parametrize("tail", ["\n", "\n\n\n", "\r\n\r\n", "\n   \n"])
@pytest.mark.parametrize("reader", ["load", "iter-chunks-of-2", "test"])
def test_trailing_blank_lines_are_ignored(tmp_path, tail, reader):
    # Editors and pandas accept a file ending in blank lines; so do we.
    X, y = make_data()
    if reader == "test":
        text = pixel_text(X)
    else:
        text = rows_as_text(TRAIN_HEADER, train_rows(X, y))
    path = write(tmp_path, text + tail)
    if reader == "test":
        np.testing.assert_array_equal(load_kaggle_test(path), X)
        return
    if reader == "load":
        X_read, y_read = load_kaggle_train(path)
    else:
        chunks = list(iter_kaggle_train(path, chunksize=2))
        X_read = np.concatenate([c[0] for c in chunks])
        y_read = np.concatenate([c[1] for c in chunks])
    np.testing.assert_array_equal(X_read, X)
    np.testing.assert_array_equal(y_read, y)


def test_only_blank_lines_after_the_header_is_no_data(tmp_path):
    path = write(tmp_path, rows_as_text(TRAIN_HEADER, []) + "\n\n")
    with pytest.raises(ValueError, match="header but no data rows"):
        load_kaggle_train(path)


@pytest.mark.parametrize(
    "content",
    [
        bytes([0xFB, 0x03]) + bytes(range(256)) * 8,  # binary with NUL bytes
        b"label,pixel0\xfb\xfc\n1,2\n",  # not UTF-8 text
        gzip.compress(bytes([0xFB, 0xFC, 0xFD]) * 100),  # compressed binary
    ],
    ids=["binary", "not-utf8", "gzipped-binary"],
)
def test_binary_file_is_not_a_csv_text_file(tmp_path, content):
    path = tmp_path / "train.csv"
    path.write_bytes(content)
    for reader in (load_kaggle_train, load_kaggle_test):
        with pytest.raises(ValueError, match="is not a CSV text file") as exc:
            reader(path)
        assert "codec" not in str(exc.value)
