"""Readers and writer for the Kaggle "Digit Recognizer" CSV files.

All readers go through :func:`iter_validated`, so every file is checked by the
same code: the header by :func:`_check_header` and the values of each chunk by
:func:`_check_values`. Checks are vectorised; the offending row and column are
located with NumPy only after a check has failed.

Row numbers in error messages are 1-based *data* row numbers: row 1 is the first
line after the header, so row ``r`` is line ``r + 1`` of the file. Blank lines are
not skipped (a blank line between data rows is an error), which keeps that
relation exact; blank lines at the end of the file are ignored, as editors and
pandas do.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterator

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype
from pandas.errors import EmptyDataError, ParserError, ParserWarning

N_PIXELS = 784
PIXEL_COLUMNS = [f"pixel{i}" for i in range(N_PIXELS)]
LABEL_COLUMN = "label"
TRAIN_COLUMNS = [LABEL_COLUMN, *PIXEL_COLUMNS]
SUBMISSION_COLUMNS = ["ImageId", "Label"]

# Rows per chunk used internally by the full-file loaders: bounds the size of
# the int64 frame pandas builds while parsing (10,000 x 785 x 8 B ~ 63 MB).
_DEFAULT_CHUNKSIZE = 10_000

_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"
_PARSER_ERROR_RE = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


# --------------------------------------------------------------------------- #
# Small helpers
# --------------------------------------------------------------------------- #
def _where(row: int) -> str:
    """Describe a 1-based data row number, e.g. ``"row 3 (line 4 of the file)"``."""
    return f"row {row} (line {row + 1} of the file)"


def _describe_source(path_or_buffer) -> str:
    if isinstance(path_or_buffer, str | os.PathLike):
        return repr(os.fspath(path_or_buffer))
    name = getattr(path_or_buffer, "name", None)
    if isinstance(name, str | os.PathLike):
        return f"file object {os.fspath(name)!r}"
    return f"<{type(path_or_buffer).__name__} file object>"


def _shorten(items: list[str], limit: int = 5) -> str:
    shown = ", ".join(repr(s) for s in items[:limit])
    if len(items) > limit:
        shown += f", ... ({len(items)} in total)"
    return shown


def _check_dtype(dtype) -> np.dtype:
    """Return ``np.dtype(dtype)`` if it can hold every pixel value 0-255."""
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise ValueError(f"dtype={dtype!r} is not a NumPy dtype.") from exc
    ok = dt.kind == "f" or (dt.kind in "iu" and np.iinfo(dt).max >= 255)
    if not ok:
        raise ValueError(
            f"dtype={dt} cannot hold pixel values 0-255; use an unsigned or "
            "signed integer dtype of at least 8/16 bits (e.g. np.uint8, "
            "np.int16) or a floating dtype (e.g. np.float32)."
        )
    return dt


def _head(path_or_buffer, n: int = 4) -> bytes:
    """The first ``n`` bytes of a path or binary file object, not consumed."""
    try:
        if isinstance(path_or_buffer, str | os.PathLike):
            with open(path_or_buffer, "rb") as f:
                return f.read(n)
        if hasattr(path_or_buffer, "peek"):
            head = path_or_buffer.peek(n)[:n]
        elif hasattr(path_or_buffer, "seekable") and path_or_buffer.seekable():
            pos = path_or_buffer.tell()
            head = path_or_buffer.read(n)
            path_or_buffer.seek(pos)
        else:
            return b""
    except (OSError, ValueError):  # missing, closed, unseekable, ...
        return b""
    return head if isinstance(head, bytes) else b""  # text streams: nothing


def _not_text(source: str) -> ValueError:
    return ValueError(
        f"{source} is not a CSV text file (it holds binary data that is not "
        "UTF-8 text); expected the Kaggle CSV, plain or compressed (.gz, .zip)."
    )


def _compression_for(path_or_buffer, source: str) -> str:
    """Compression argument for ``pd.read_csv``.

    pandas infers compression from a path's suffix only, and not at all for
    file objects; the first bytes tell gzip and zip data apart whatever the
    name (a ``train.csv`` that is really gzipped, a zip opened in binary).
    UTF-16 text (some spreadsheet exports) and binary data (NUL bytes, which
    no CSV text holds) are refused with a clear message.
    """
    head = _head(path_or_buffer, 512)
    if head.startswith(_GZIP_MAGIC):
        return "gzip"
    if head.startswith(_ZIP_MAGIC):
        return "zip"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValueError(
            f"{source} is UTF-16 text; save it as a UTF-8 (or plain ASCII) CSV."
        )
    if b"\x00" in head:
        raise _not_text(source)
    return "infer"


# --------------------------------------------------------------------------- #
# Validation (shared by every reader)
# --------------------------------------------------------------------------- #
def _check_header(columns, *, has_label: bool, source: str) -> None:
    """Raise ValueError unless ``columns`` is exactly the Kaggle header."""
    cols = [str(c) for c in columns]
    expected = TRAIN_COLUMNS if has_label else PIXEL_COLUMNS
    if cols == expected:
        return
    kind = "train" if has_label else "test"
    where = f"{source}: header (line 1 of the file)"
    if len(cols) == 1:
        seps = {";": "semicolons", "\t": "tabs", "|": "vertical bars", " ": "spaces"}
        found = [name for sep, name in seps.items() if sep in cols[0].strip()]
        if found:
            raise ValueError(
                f"{where} is one column holding {cols[0][:40]!r}...: the file "
                f"seems to be separated by {found[0]}, but a Kaggle CSV is "
                "separated by commas."
            )
    if has_label and LABEL_COLUMN not in cols:
        raise ValueError(
            f"{where} has no {LABEL_COLUMN!r} column; a Kaggle train file starts "
            f"with 'label,pixel0,...,pixel783'. (For a test file without labels "
            f"use load_kaggle_test.)"
        )
    if not has_label and LABEL_COLUMN in cols:
        raise ValueError(
            f"{where} has a {LABEL_COLUMN!r} column (column "
            f"{cols.index(LABEL_COLUMN) + 1}); a Kaggle test file has only the "
            f"784 pixel columns. (For a labelled train file use load_kaggle_train.)"
        )
    if has_label and cols[0] != LABEL_COLUMN:
        raise ValueError(
            f"{where}: the {LABEL_COLUMN!r} column must be the first column, but "
            f"it is column {cols.index(LABEL_COLUMN) + 1} (column 1 is "
            f"{cols[0]!r})."
        )
    # First positional mismatch, then a summary of what is missing/unexpected.
    i = next(
        (k for k, (a, b) in enumerate(zip(cols, expected, strict=False)) if a != b),
        min(len(cols), len(expected)),
    )
    if i >= len(cols):
        lead = (
            f"the header ends after column {len(cols)}; expected column {i + 1} "
            f"to be {expected[i]!r}"
        )
    elif i >= len(expected):
        lead = (
            f"unexpected extra column {i + 1} {cols[i]!r} after "
            f"{expected[-1]!r} (the last column of a {kind} file)"
        )
    else:
        lead = f"column {i + 1} is {cols[i]!r} but expected {expected[i]!r}"
    expected_set, cols_set = set(expected), set(cols)
    missing = [c for c in expected if c not in cols_set]
    unexpected = [c for c in cols if c not in expected_set]
    parts = [lead]
    if missing:
        parts.append(f"missing column(s): {_shorten(missing)}")
    if unexpected:
        parts.append(f"unexpected column(s): {_shorten(unexpected)}")
        dup = [c for c in unexpected if re.fullmatch(r"(.+)\.\d+", c)]
        if dup:
            parts.append(
                f"(pandas renames a repeated column 'x' to 'x.1', so {dup[0]!r} "
                "suggests a duplicated column name)"
            )
    if not missing and not unexpected:
        parts.append("the pixel columns are out of order")
    raise ValueError(
        f"{where}: " + "; ".join(parts) + f". A {kind} file has {len(expected)} "
        f"columns: {','.join(expected[:3])},...,{expected[-1]}."
    )


def _coerce_numeric(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
    """Return ``(values, nonnumeric)`` for a frame.

    ``values`` is int64 (the common case, no copy of the checks needed) or
    float64 with NaN for missing cells; ``nonnumeric`` is a boolean mask of the
    cells that are present but not numbers, or None when there are none.
    """
    bad = [
        j
        for j, dt in enumerate(df.dtypes)
        if is_bool_dtype(dt) or not is_numeric_dtype(dt)
    ]
    if not bad:
        return df.to_numpy(), None
    values = np.empty(df.shape, dtype=np.float64)
    nonnumeric = np.zeros(df.shape, dtype=bool)
    bad_set = set(bad)
    good = [j for j in range(df.shape[1]) if j not in bad_set]
    if good:
        values[:, good] = df.iloc[:, good].to_numpy(dtype=np.float64, na_value=np.nan)
    for j in bad:
        col = df.iloc[:, j]
        if is_bool_dtype(col.dtype):  # "True"/"False" cells
            values[:, j] = np.nan
            nonnumeric[:, j] = True
            continue
        num = pd.to_numeric(col.astype(object), errors="coerce")
        values[:, j] = num.to_numpy(dtype=np.float64, na_value=np.nan)
        nonnumeric[:, j] = np.isnan(values[:, j]) & col.notna().to_numpy()
    return values, nonnumeric


def _check_values(
    df: pd.DataFrame, *, has_label: bool, first_row: int, source: str
) -> np.ndarray:
    """Validate a chunk of data rows and return its values as a 2-D array.

    ``first_row`` is the 1-based data row number of the chunk's first row.
    The returned array is int64 (or integral float64) with every value in range.
    """
    values, nonnumeric = _coerce_numeric(df)
    lo = np.zeros(df.shape[1])
    hi = np.full(df.shape[1], 255.0)
    if has_label:
        hi[0] = 9.0

    if nonnumeric is None and values.dtype.kind in "iu":
        # Fast path: all-integer chunk, only the ranges can be wrong.
        if (values.min(axis=0) >= lo).all() and (values.max(axis=0) <= hi).all():
            return values
        missing = nonint = None
    else:
        values = values.astype(np.float64, copy=False)
        missing = np.isnan(values)
        if nonnumeric is not None:
            missing &= ~nonnumeric
        with np.errstate(invalid="ignore"):
            nonint = np.isfinite(values) & (values != np.floor(values))
    with np.errstate(invalid="ignore"):
        out_of_range = (values < lo) | (values > hi)

    bad = out_of_range
    for mask in (nonnumeric, missing, nonint):
        if mask is not None:
            bad = bad | mask
    if not bad.any():
        return values
    r = int(np.argmax(bad.any(axis=1)))
    c = int(np.argmax(bad[r]))
    row = first_row + r
    name = str(df.columns[c])
    where = f"{source}: {_where(row)}, column {name!r}"

    if nonnumeric is not None and nonnumeric[r, c]:
        raise ValueError(f"{where}: value {df.iat[r, c]!r} is not a number.")
    if missing is not None and missing[r, c]:
        if missing[r].all():
            raise ValueError(f"{source}: {_where(row)} is blank (no values).")
        if c > 0 and missing[r, c:].all():
            raise ValueError(
                f"{where}: missing value; the row has only {c} values but the "
                f"header has {df.shape[1]} columns."
            )
        raise ValueError(f"{where}: missing value.")
    cell = df.iat[r, c]  # the value as parsed (a str if pandas kept text)
    shown = cell.item() if isinstance(cell, np.generic) else cell
    if isinstance(shown, float) and shown.is_integer():
        shown = int(shown)
    if nonint is not None and nonint[r, c]:
        raise ValueError(f"{where}: value {shown!r} is not an integer.")
    what = "label" if has_label and c == 0 else "pixel value"
    raise ValueError(f"{where}: {what} {shown!r} is outside {int(lo[c])}-{int(hi[c])}.")


# --------------------------------------------------------------------------- #
# Reading
# --------------------------------------------------------------------------- #
def _parser_error(exc: ParserError, source: str) -> ValueError:
    m = _PARSER_ERROR_RE.search(str(exc))
    if m is None:
        return ValueError(f"{source}: malformed CSV: {exc}")
    n_expected, line, n_seen = (int(g) for g in m.groups())
    return ValueError(
        f"{source}: {_where(line - 1)} has {n_seen} fields but the header has "
        f"{n_expected} columns (extra value(s) after the last column)."
    )


def _next_chunk(reader, source: str) -> pd.DataFrame | None:
    """``next(reader)``, turning pandas' parser errors into clear ValueErrors."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ParserWarning)
        try:
            chunk = next(reader)
        except StopIteration:
            chunk = None
        except ParserError as exc:
            raise _parser_error(exc, source) from exc
        except UnicodeDecodeError as exc:  # e.g. a compressed binary file
            raise _not_text(source) from exc
    for w in caught:
        if issubclass(w.category, ParserWarning):
            # Emitted by pandas when the first data row has more fields than
            # the header (it would otherwise silently drop the extra values).
            raise ValueError(
                f"{source}: the first data row, {_where(1)}, has more fields than "
                f"the header's columns (extra value(s) after the last column)."
            )
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return chunk


def _is_blank(row: pd.Series) -> bool:
    """An empty line (all cells missing), or one holding only whitespace."""
    present = row[row.notna()]
    return len(present) == 0 or (
        len(present) == 1
        and present.index[0] == row.index[0]
        and isinstance(present.iloc[0], str)
        and not present.iloc[0].strip()
    )


def _trailing_blank_rows(chunk: pd.DataFrame) -> int:
    """The number of blank rows at the end of ``chunk``."""
    n = 0
    while n < len(chunk) and _is_blank(chunk.iloc[len(chunk) - 1 - n]):
        n += 1
    return n


def iter_validated(
    path_or_buffer,
    *,
    has_label: bool,
    chunksize: int,
    dtype: np.dtype,
    compression: str | None = None,
    source: str | None = None,
) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
    """Yield validated ``(X_chunk, y_chunk)``; ``y_chunk`` is None for test files."""
    if source is None:
        source = _describe_source(path_or_buffer)
    if compression is None:
        compression = _compression_for(path_or_buffer, source)
    try:
        reader = pd.read_csv(
            path_or_buffer,
            chunksize=chunksize,
            compression=compression,
            index_col=False,  # never take the first column as an index
            skip_blank_lines=False,  # keep "row r is line r + 1" exact
            low_memory=False,  # each chunk is parsed in one go: no DtypeWarning
            engine="c",
        )
    except EmptyDataError as exc:
        raise ValueError(
            f"{source} is empty: expected a CSV header line "
            f"{'label,' if has_label else ''}pixel0,...,pixel783 and data rows."
        ) from exc
    except UnicodeDecodeError as exc:
        raise _not_text(source) from exc
    with reader:
        n_rows = 0
        n_blank = 0  # blank rows held back: an error only if data follows
        header_checked = False
        while (chunk := _next_chunk(reader, source)) is not None:
            if not header_checked:
                _check_header(chunk.columns, has_label=has_label, source=source)
                header_checked = True
            n_trailing = _trailing_blank_rows(chunk)
            n_data = len(chunk) - n_trailing
            if n_data == 0:
                n_blank += n_trailing
                continue
            if n_blank:  # the blank lines held back are followed by data
                blank = _where(n_rows + 1)
                raise ValueError(f"{source}: {blank} is blank (no values).")
            if n_trailing:
                chunk = chunk.iloc[:n_data]
            values = _check_values(
                chunk, has_label=has_label, first_row=n_rows + 1, source=source
            )
            n_rows += n_data
            # Blank lines ending this chunk are ignored if they end the file.
            n_blank = n_trailing
            if has_label:
                yield values[:, 1:].astype(dtype), values[:, 0].astype(np.int64)
            else:
                yield values.astype(dtype), None
        if n_rows == 0:
            raise ValueError(f"{source} has a header but no data rows.")


def _load(path_or_buffer, *, has_label: bool, dtype, **kwargs):
    dt = _check_dtype(dtype)
    xs, ys = [], []
    for X, y in iter_validated(
        path_or_buffer,
        has_label=has_label,
        chunksize=_DEFAULT_CHUNKSIZE,
        dtype=dt,
        **kwargs,
    ):
        xs.append(X)
        ys.append(y)
    X = xs[0] if len(xs) == 1 else np.concatenate(xs)
    if not has_label:
        return X
    y = ys[0] if len(ys) == 1 else np.concatenate(ys)
    return X, y


def load_kaggle_train(path_or_buffer, *, dtype=np.uint8):
    """Load a Kaggle "Digit Recognizer" ``train.csv``.

    Parameters
    ----------
    path_or_buffer : str, os.PathLike or file object
        Path to the CSV file (plain, or compressed with a suffix pandas
        recognises such as ``.gz``; compression is inferred from the suffix) or
        an open file object (text, or binary; a binary gzip stream is detected
        from its magic bytes). The header must be ``label,pixel0,...,pixel783``.
    dtype : dtype, default=np.uint8
        Dtype of ``X``. The default keeps memory small (42,000 images take
        33 MB); the estimators cast to float themselves. Must be able to hold
        0-255 (any float dtype, or an integer dtype whose maximum is >= 255).

    Returns
    -------
    X : ndarray of shape (n_samples, 784), dtype ``dtype``
        Pixel intensities 0-255 of each 28x28 image, row-major.
    y : ndarray of shape (n_samples,), dtype int64
        Digit labels 0-9.

    Raises
    ------
    FileNotFoundError
        If ``path_or_buffer`` is a path that does not exist.
    ValueError
        If the file is empty or has no data rows, if the header is not exactly
        ``label,pixel0,...,pixel783``, or if a cell is missing, not a number, not
        an integer, or out of range (labels 0-9, pixels 0-255). The message names
        the 1-based data row (row ``r`` is line ``r + 1`` of the file) and the
        column. A blank line followed by data is an error; blank lines at the
        end of the file are ignored.  A binary file (or one that is not UTF-8
        text) is reported as not a CSV text file.

    See Also
    --------
    iter_kaggle_train : Read the same file in chunks of bounded memory.
    load_kaggle_test : Read a ``test.csv`` (no label column).

    Examples
    --------
    >>> import io
    >>> from skmlp.datasets import load_kaggle_train
    >>> header = "label," + ",".join(f"pixel{i}" for i in range(784))
    >>> row = "7," + ",".join(["0"] * 784)
    >>> X, y = load_kaggle_train(io.StringIO(header + "\\n" + row + "\\n"))
    >>> X.shape, X.dtype, y
    ((1, 784), dtype('uint8'), array([7]))
    """
    return _load(path_or_buffer, has_label=True, dtype=dtype)


def load_kaggle_test(path_or_buffer, *, dtype=np.uint8):
    """Load a Kaggle "Digit Recognizer" ``test.csv`` (pixels only, no labels).

    Parameters
    ----------
    path_or_buffer : str, os.PathLike or file object
        Path to the CSV file (plain or compressed, e.g. ``.gz``; compression is
        inferred from the suffix) or an open file object. The header must be
        ``pixel0,...,pixel783``.
    dtype : dtype, default=np.uint8
        Dtype of ``X``; must be able to hold 0-255.

    Returns
    -------
    X : ndarray of shape (n_samples, 784), dtype ``dtype``
        Pixel intensities 0-255. Row ``i`` has ImageId ``i + 1`` in a
        submission (see :func:`write_submission`).

    Raises
    ------
    FileNotFoundError
        If ``path_or_buffer`` is a path that does not exist.
    ValueError
        If the file is empty or has no data rows, if the header is not exactly
        ``pixel0,...,pixel783`` (in particular if it has a ``label`` column), or
        if a cell is missing, not a number, not an integer or outside 0-255. The
        message names the 1-based data row (row ``r`` is line ``r + 1`` of the
        file) and the column.

    See Also
    --------
    load_kaggle_train : Read a labelled ``train.csv``.
    write_submission : Write predictions for these rows.
    """
    return _load(path_or_buffer, has_label=False, dtype=dtype)


def iter_kaggle_train(path_or_buffer, *, chunksize=10_000, dtype=np.uint8):
    """Stream a Kaggle ``train.csv`` in chunks of at most ``chunksize`` rows.

    Each chunk is validated exactly like :func:`load_kaggle_train`, and row
    numbers in error messages count from the start of the file, not of the
    chunk. Only one chunk is held in memory at a time; concatenating all chunks
    gives the same arrays as :func:`load_kaggle_train`.

    Parameters
    ----------
    path_or_buffer : str, os.PathLike or file object
        As for :func:`load_kaggle_train`. The file is opened lazily, on the
        first ``next()``, and closed when the iteration ends (or the generator
        is closed).
    chunksize : int, default=10_000
        Maximum number of rows per chunk (the last chunk may be smaller).
    dtype : dtype, default=np.uint8
        Dtype of each ``X_chunk``; must be able to hold 0-255.

    Yields
    ------
    X_chunk : ndarray of shape (n_chunk, 784), dtype ``dtype``
        Pixel intensities 0-255.
    y_chunk : ndarray of shape (n_chunk,), dtype int64
        Labels 0-9.

    Raises
    ------
    ValueError
        Immediately, if ``chunksize`` is not a positive integer or ``dtype``
        cannot hold 0-255; during iteration, for the same file problems as
        :func:`load_kaggle_train` (chunks before the bad row are yielded first).
    FileNotFoundError
        On the first ``next()``, if the path does not exist.

    Examples
    --------
    >>> from skmlp.datasets import iter_kaggle_train
    >>> for X_chunk, y_chunk in iter_kaggle_train("train.csv", chunksize=5000):
    ...     clf.partial_fit(X_chunk, y_chunk, classes=range(10))  # doctest: +SKIP
    """
    if (
        isinstance(chunksize, bool)
        or not isinstance(chunksize, int | np.integer)
        or chunksize < 1
    ):
        raise ValueError(f"chunksize must be a positive integer, got {chunksize!r}.")
    dt = _check_dtype(dtype)
    return iter_validated(
        path_or_buffer, has_label=True, chunksize=int(chunksize), dtype=dt
    )


# --------------------------------------------------------------------------- #
# Writing
# --------------------------------------------------------------------------- #
def write_submission(predictions, path_or_buffer, *, compression="infer"):
    """Write predictions as a Kaggle "Digit Recognizer" submission.

    The output is a CSV with header ``ImageId,Label`` and one line per
    prediction; ``ImageId`` counts from 1 (row ``i`` of ``test.csv`` is
    ImageId ``i + 1``). Lines end with ``"\\n"``.

    Parameters
    ----------
    predictions : array-like of shape (n_samples,)
        Predicted digits: integers 0-9 (any integer dtype), in the order of the
        rows of ``test.csv``.
    path_or_buffer : str, os.PathLike or file object
        Where to write. A path ending in ``.gz`` (or another suffix pandas
        recognises) is compressed; a file object must be open in text mode.
    compression : str, dict or None, default="infer"
        Passed to :meth:`pandas.DataFrame.to_csv`: "infer" chooses from the
        path's suffix.

    Returns
    -------
    None

    Raises
    ------
    ValueError
        If ``predictions`` is empty, not 1-D, not of an integer dtype, or has a
        value outside 0-9 (the message gives its index and ImageId).

    Examples
    --------
    >>> import io
    >>> from skmlp.datasets import write_submission
    >>> buf = io.StringIO()
    >>> write_submission([3, 1, 4], buf)
    >>> print(buf.getvalue(), end="")
    ImageId,Label
    1,3
    2,1
    3,4
    """
    pred = np.asarray(predictions)
    if pred.ndim != 1:
        hint = " (use .ravel() for a column vector)" if pred.ndim == 2 else ""
        raise ValueError(
            f"predictions must be 1-D of shape (n_samples,), got an array of "
            f"shape {pred.shape}{hint}."
        )
    if pred.size == 0:
        raise ValueError("predictions is empty; nothing to write.")
    if pred.dtype.kind not in "iu":
        raise ValueError(
            f"predictions must be integers 0-9, got dtype {pred.dtype} (first "
            f"value {pred[0]!r}); convert them, e.g. with .astype(int), if they "
            "are whole numbers."
        )
    bad = (pred < 0) | (pred > 9)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"predictions must be digits 0-9, but predictions[{i}] = "
            f"{int(pred[i])} (ImageId {i + 1})."
        )
    frame = pd.DataFrame(
        {
            SUBMISSION_COLUMNS[0]: np.arange(1, pred.size + 1, dtype=np.int64),
            SUBMISSION_COLUMNS[1]: pred.astype(np.int64),
        }
    )
    frame.to_csv(
        path_or_buffer, index=False, lineterminator="\n", compression=compression
    )
