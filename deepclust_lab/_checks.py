"""Input checks shared by the public entry points.

Every public function validates its inputs once, here, and raises a ``TypeError`` or
``ValueError`` whose message names the parameter, what was given and what is expected.
Code behind the entry points trusts its inputs.
"""

from __future__ import annotations

from collections.abc import Iterable
from numbers import Integral, Real
from typing import Any

import numpy as np


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def as_float_matrix(X: Any, name: str = "X", *, allow_nan: bool = False) -> np.ndarray:
    """Return ``X`` as a 2-D float array with at least one row and column.

    Raises ``TypeError`` for non-numeric data and ``ValueError`` for a wrong number of
    dimensions, an empty array, or NaN / infinite values (NaN allowed when ``allow_nan``).
    """
    if X is None:
        raise TypeError(f"{name} must be a 2-D array of numbers, got None")
    if isinstance(X, (str, bytes)):
        raise TypeError(f"{name} must be a 2-D array of numbers, got a string: {_describe(X)}")
    if hasattr(X, "tocsr"):  # scipy sparse, without importing scipy here
        raise TypeError(f"{name} is a scipy sparse matrix, which is not supported; "
                        f"pass a dense array ({name}.toarray())")
    try:
        arr = np.asarray(X)
    except ValueError as err:  # ragged nested lists
        raise ValueError(
            f"{name} must be a 2-D array of numbers with rows of equal length ({err})"
        ) from None
    if arr.dtype == object or arr.dtype.kind in "USVMm":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as err:
            raise TypeError(
                f"{name} must contain numbers only, got {_describe(arr)}; "
                f"convert or drop the non-numeric columns first ({err})"
            ) from None
    if arr.dtype.kind == "b":
        arr = arr.astype(np.float64)
    if arr.dtype.kind == "c":
        raise ValueError(f"{name} must contain real numbers, got {_describe(arr)}: "
                         "Complex data not supported.")
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must contain real numbers, got {_describe(arr)}")
    if arr.ndim != 2:
        hint = ""
        if arr.ndim == 1:
            hint = (" Reshape your data: X.reshape(-1, 1) for a single feature or X.reshape(1, -1)"
                    " for one sample.")
        elif arr.ndim > 2:
            hint = " Flatten each sample first, e.g. X.reshape(len(X), -1)."
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {arr.shape}.{hint}")
    for axis, what in enumerate(("sample", "feature")):
        if arr.shape[axis] == 0:
            raise ValueError(f"{name} is empty: it has 0 {what}(s) (shape={arr.shape}) while a "
                             "minimum of 1 is required.")
    arr = np.asarray(arr, dtype=np.float64 if arr.dtype != np.float32 else np.float32)
    finite = np.isfinite(arr)
    if not finite.all():
        nan = np.isnan(arr)
        if nan.any() and not allow_nan:
            raise ValueError(
                f"{name} contains {int(nan.sum())} NaN value(s); fill them first "
                "(deepclust_lab.data.impute_missing) or drop those rows"
            )
        if (~finite & ~nan).any():
            raise ValueError(f"{name} contains {int((~finite & ~nan).sum())} infinite value(s)")
    return arr


def validate_X(estimator: Any, X: Any, *, reset: bool, float32: bool = False) -> np.ndarray:
    """The door of an estimator: :func:`as_float_matrix`'s checks and plain messages, then
    scikit-learn's ``validate_data``, which records ``n_features_in_`` (and
    ``feature_names_in_`` for a DataFrame) when ``reset`` (in ``fit``) and checks ``X``
    against them afterwards. ``float32``: return float32, refusing values beyond its range."""
    from sklearn.utils.validation import validate_data

    arr = as_float_matrix(X)
    if float32 and arr.dtype != np.float32:
        big = float(np.abs(arr).max())
        if big > float(np.finfo(np.float32).max):
            raise ValueError(f"X has values up to {big:.3g}, beyond float32's range "
                             "(3.4e+38) in which the networks compute; rescale X first")
        arr = arr.astype(np.float32)
    return validate_data(estimator, X if hasattr(X, "columns") else arr, reset=reset,
                         dtype=np.float32 if float32 else (np.float64, np.float32),
                         ensure_all_finite=False)  # as_float_matrix has checked


def check_int(
    value: Any, name: str, *, low: int | None = None, high: int | None = None
) -> int:
    """Return ``value`` as an int in ``[low, high]`` or raise a clear error."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an integer, got {_describe(value)}")
    value = int(value)
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value}")
    return value


def check_float(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
) -> float:
    """Return ``value`` as a finite float in range or raise a clear error."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a number, got {_describe(value)}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if low is not None and (value < low or (not low_inclusive and value == low)):
        op = ">=" if low_inclusive else ">"
        raise ValueError(f"{name} must be {op} {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value}")
    return value


def check_choice(value: Any, name: str, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices`` or raise a clear error."""
    choices = list(choices)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {choices}, got {_describe(value)}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def check_n_clusters(n_clusters: Any, n_samples: int, name: str = "n_clusters") -> int:
    """``n_clusters`` must be an int with ``1 <= n_clusters <= n_samples``."""
    k = check_int(n_clusters, name, low=1)
    if k > n_samples:
        raise ValueError(f"{name}={k} is larger than the number of samples ({n_samples})")
    return k


def check_labels(y: Any, name: str = "labels", *, n_samples: int | None = None) -> np.ndarray:
    """Return a 1-D label array (ints or strings), checking its length against ``n_samples``."""
    if y is None:
        raise TypeError(f"{name} must be a 1-D sequence of labels, got None")
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    if arr.dtype.kind == "f":
        if not np.isfinite(arr).all():
            raise ValueError(f"{name} contains NaN or infinite values")
        if not np.all(arr == np.round(arr)):
            raise ValueError(f"{name} must be class or cluster ids, got non-integer floats")
        arr = arr.astype(np.int64)
    if n_samples is not None and arr.shape[0] != n_samples:
        raise ValueError(f"{name} has {arr.shape[0]} entries but there are {n_samples} samples")
    return arr
