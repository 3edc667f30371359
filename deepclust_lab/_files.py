"""Reading a user's own ``.csv`` / ``.npy`` / ``.npz`` file into arrays.

Private to :func:`deepclust_lab.data.load_dataset`, which decides on the file type, the
scaling and the subsampling; the messages here say what is wrong with the file and how to
mend it.
"""

from __future__ import annotations

import csv
import re
import zipfile
from pathlib import Path

import numpy as np

from deepclust_lab._checks import check_labels

_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d+,\d+\s*$")


def _dialect(path: Path) -> tuple[str, str]:
    """``(delimiter, decimal mark)`` of a CSV file, read from its first lines.

    The delimiter is the one of comma, semicolon and tab that splits the header into more than
    one field and the most sampled lines into as many fields as the header; a semicolon or tab
    file whose cells look like ``0,5`` uses decimal commas.
    """
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        sample = f.read(1 << 16)
    lines = [line for line in sample.splitlines() if line.strip()]
    if len(sample) == 1 << 16 and len(lines) > 2:
        lines.pop()  # the sample may end in the middle of a line
    lines = lines[:50]
    best, score = ",", (0, 1)
    for delimiter in _DELIMITERS:
        widths = [len(row) for row in csv.reader(lines, delimiter=delimiter)]
        if widths and widths[0] > 1 and (n := (widths.count(widths[0]), widths[0])) > score:
            best, score = delimiter, n
    rows = list(csv.reader(lines[1:], delimiter=best))
    decimal = "," if best != "," and any(_DECIMAL_COMMA.match(c) for r in rows for c in r) else "."
    return best, decimal


def _check_field_counts(path: Path, delimiter: str) -> None:
    """Every non-empty line has as many fields as the header, or a ValueError names the line."""
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        reader = csv.reader(f, delimiter=delimiter)
        header = next(reader, [])
        for row in reader:
            if row and len(row) != len(header):
                raise ValueError(
                    f"line {reader.line_num} of {str(path)!r} has {len(row)} fields but the "
                    f"header has {len(header)} ({_DELIMITERS[delimiter]}-separated); every row "
                    "needs one value per column")


def read_csv(path: Path, label_column: str | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Features (and labels) from a CSV with a header row; comma, semicolon or tab
    separated, with decimal commas in the latter two."""
    import pandas as pd

    try:
        delimiter, decimal = _dialect(path)
        _check_field_counts(path, delimiter)
        frame = pd.read_csv(path, sep=delimiter, decimal=decimal, index_col=False)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{str(path)!r} is empty: it needs a header row and data rows") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, csv.Error) as err:
        raise ValueError(f"The file {str(path)!r} could not be read as CSV ({err})") from None
    if len(frame) == 0:
        raise ValueError(f"{str(path)!r} has a header row but no data rows")
    y = None
    if label_column is not None:
        if label_column not in frame.columns:
            raise ValueError(
                f"label_column={label_column!r} is not a column of {str(path)!r}; "
                f"its columns are {[str(c) for c in frame.columns]}"
            )
        labels = frame.pop(label_column)
        if labels.isna().any():
            raise ValueError(
                f"the label column {label_column!r} has {int(labels.isna().sum())} "
                "missing value(s); every row needs a label"
            )
        y = labels.to_numpy()
        y = check_labels(y, "labels") if y.dtype.kind in "iuf" else y.astype(str)
    if frame.shape[1] == 0:
        raise ValueError(f"{str(path)!r} has no feature columns besides {label_column!r}")
    for column in frame.columns:
        if frame[column].dtype.kind not in "iufb":
            values = frame[column]
            bad = values.notna() & pd.to_numeric(values, errors="coerce").isna()
            row = int(np.flatnonzero(bad.to_numpy())[0]) if bad.any() else 0
            hint = (
                f" Is it the labels? Pass label_column={str(column)!r}."
                if label_column is None
                else " Convert it to numbers or drop it first."
            )
            raise TypeError(
                f"Column {str(column)!r} of {str(path)!r} is not numeric: data row {row + 1} "
                f"holds {values.iloc[row]!r}; every feature must be a number.{hint}"
            )
    return frame.to_numpy(dtype=np.float64), y


def read_numpy(path: Path) -> tuple[np.ndarray, np.ndarray | None, tuple[int, ...] | None]:
    unreadable = (ValueError, OSError, EOFError, KeyError, zipfile.BadZipFile)
    y = None
    keys: list[str] = []
    try:
        if path.suffix.lower() == ".npy":
            arr = np.load(path, allow_pickle=False)
        else:
            with np.load(path, allow_pickle=False) as archive:
                keys = list(archive.files)
                key = "X" if "X" in keys else "x" if "x" in keys else None
                arr = None if key is None else archive[key]
                if "y" in keys:
                    y = archive["y"]
    except unreadable as err:
        raise ValueError(
            f"The file {str(path)!r} could not be read; it may be damaged or incomplete ({err})"
        ) from None
    if arr is None:
        raise ValueError(
            f"{str(path)!r} has no array named 'X' or 'x' (it has {keys}); "
            "save the features with np.savez(path, X=features, y=labels)"
        )
    if not isinstance(arr, np.ndarray) or arr.dtype.kind not in "iufb":
        raise TypeError(f"{str(path)!r} must hold numbers, got dtype {arr.dtype}")
    image_shape = None
    if arr.ndim >= 3:
        image_shape = tuple(int(s) for s in arr.shape[1:])
        arr = arr.reshape(arr.shape[0], -1)
    elif arr.ndim != 2:
        raise ValueError(
            f"{str(path)!r} holds an array of shape {arr.shape}; expected 2-D "
            "(samples × features) or 3-D images (samples × height × width)"
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{str(path)!r} holds an empty array of shape {arr.shape}")
    if arr.dtype.kind == "b":
        arr = arr.astype(np.float64)
    if y is not None:
        y = np.asarray(y)
        y = check_labels(y, "y", n_samples=arr.shape[0]) if y.dtype.kind in "iuf" else y
        if len(y) != arr.shape[0]:
            raise ValueError(f"{str(path)!r}: y has {len(y)} labels but X has {arr.shape[0]} rows")
    return arr, y, image_shape
