"""Input checks for the public entry points: a ``TypeError`` or ``ValueError`` that names the
parameter, what was given and what is expected. Code behind the entry points trusts its inputs.
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
    """``X`` as a non-empty 2-D float array of finite numbers (NaN allowed with ``allow_nan``)."""
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


def validate_X(estimator: Any, X: Any, *, reset: bool) -> np.ndarray:
    """An estimator's door: :func:`as_float_matrix`, then scikit-learn's ``validate_data``, which
    records ``n_features_in_`` (and ``feature_names_in_``) when ``reset`` and checks them after."""
    from sklearn.utils.validation import validate_data

    arr = as_float_matrix(X)
    return validate_data(estimator, X if hasattr(X, "columns") else arr, reset=reset,
                         dtype=(np.float64, np.float32),
                         ensure_all_finite=False)  # as_float_matrix has checked


def unit_exponent(X: np.ndarray) -> int:
    """The ``e`` for which ``max |X| / 2**e`` lies in (0.5, 1] (0 when ``X`` is all zeros).

    ``np.ldexp(X, -e)`` rescales ``X`` exactly: a power of two changes no digit of the
    mantissas, so every distance shrinks by the same factor and no label can change, while
    squares of values near 1e200 or 1e-300 no longer overflow or vanish.
    """
    big = max(float(X.max()), -float(X.min()))  # max |X|, without a copy of X
    if big == 0.0:
        return 0
    mantissa, exponent = np.frexp(big)  # big = mantissa * 2**exponent, mantissa in [0.5, 1)
    return int(exponent) - int(mantissa == 0.5)


def as_float32(X: np.ndarray, exponent: int = 0) -> np.ndarray:
    """``X / 2**exponent`` in float32, the precision the networks compute in, refusing
    values beyond float32's range."""
    arr = np.ldexp(X, -exponent) if exponent else X
    if arr.dtype != np.float32:
        big = float(np.abs(arr).max())
        if big > float(np.finfo(np.float32).max):
            raise ValueError(f"X has values up to {float(np.abs(X).max()):.3g}, beyond the range "
                             "the networks compute in (3.4e+38 times the scale of the data "
                             "seen in fit)")
        arr = arr.astype(np.float32)
    return arr


def check_int(
    value: Any, name: str, *, low: int | None = None, high: int | None = None
) -> int:
    """``value`` as an int in ``[low, high]``."""
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
    """``value`` as a finite float in range."""
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


def check_random_state(random_state: Any) -> np.random.Generator | np.random.RandomState:
    """``random_state`` as a generator: None (NumPy's global one), an int seed in
    [0, 2**32 - 1], or a ``numpy.random.Generator`` / ``RandomState``, returned as it is."""
    if isinstance(random_state, np.random.Generator | np.random.RandomState):
        return random_state
    if random_state is None:
        return np.random.mtrand._rand
    if isinstance(random_state, bool) or not isinstance(random_state, Integral):
        raise TypeError("random_state must be None, an int, a numpy.random.Generator or a "
                        f"numpy.random.RandomState, got {_describe(random_state)}")
    if not 0 <= int(random_state) <= 2**32 - 1:
        raise ValueError("random_state must be an int seed between 0 and 2**32 - 1 "
                         f"(4294967295), got {int(random_state)}")
    return np.random.RandomState(int(random_state))


def check_choice(value: Any, name: str, choices: Iterable[str]) -> str:
    """``value``, if it is one of ``choices``."""
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


def check_distinct_rows(X: np.ndarray, n_clusters: int, name: str = "n_clusters") -> None:
    """Refuse fewer distinct rows than ``n_clusters``: no method can make more clusters."""
    from deepclust_lab.kmeans_fast import count_distinct_rows

    if (n_distinct := count_distinct_rows(X, stop_at=n_clusters)) < n_clusters:
        raise ValueError(f"X has only {n_distinct} distinct points but {name}={n_clusters}; "
                         "use fewer clusters or remove the duplicates")


def check_labels(y: Any, name: str = "labels", *, n_samples: int | None = None) -> np.ndarray:
    """``y`` as a 1-D array of labels (ints or strings), ``n_samples`` long."""
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
        whole = arr == np.round(arr)
        if not whole.all():
            raise ValueError(f"{name} must be class or cluster ids (whole numbers or names), got "
                             f"non-integer floats such as {arr[~whole][0].item()!r}")
        arr = arr.astype(np.int64)
    if n_samples is not None and arr.shape[0] != n_samples:
        raise ValueError(f"{name} has {arr.shape[0]} entries but there are {n_samples} samples")
    return arr
