"""Stability: does a clustering method give the same answer with another seed, or on a
resampled data set? (Notebook 05; the kit's default recipe uses the same idea to pick its
front-end, see :func:`deepclust_lab.manifold.stability`.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from deepclust_lab._checks import as_float_matrix, check_int, check_labels, check_random_state
from deepclust_lab.metrics import external_scores

__all__ = ["StabilityResult", "stability"]


@dataclass(repr=False)
class StabilityResult:
    """What :func:`stability` found.

    Attributes
    ----------
    seeds : list of int
        The seed of each run.
    labels : list of ndarray
        The labels each run returned, one per row it was given.
    indices : list of ndarray
        The rows of X each run was given (all rows, in order, unless bootstrapping).
    pairwise_ari : ndarray of shape (n_runs, n_runs)
        Adjusted Rand index between every two runs, on the points both were given
        (1 on the diagonal).
    mean_ari, std_ari : float
        Mean and standard deviation (NumPy's, ddof=0) of the pairwise ARI over all pairs.
    scores : pandas.DataFrame or None
        One row per run with ACC, NMI and ARI against ``y_true``; ``None`` without it.
    """

    seeds: list[int]
    labels: list[np.ndarray]
    indices: list[np.ndarray]
    pairwise_ari: np.ndarray
    mean_ari: float
    std_ari: float
    scores: pd.DataFrame | None

    def summary(self) -> pd.DataFrame:
        """A small table: mean and std of the pairwise ARI and of each score against y_true.

        Examples
        --------
        >>> import numpy as np
        >>> from deepclust_lab.selection import stability
        >>> X = np.array([[0.0], [0.1], [5.0], [5.1]])
        >>> result = stability(lambda X, seed: (X[:, 0] > 2).astype(int), X, seeds=[0, 1])
        >>> result.summary()
                      mean  std
        pairwise ARI   1.0  0.0
        """
        rows = {"pairwise ARI": (self.mean_ari, self.std_ari)}
        if self.scores is not None:
            for name in self.scores.columns:
                column = self.scores[name].to_numpy(dtype=float)
                rows[name] = (float(column.mean()), float(column.std()))
        return pd.DataFrame.from_dict(rows, orient="index", columns=["mean", "std"])

    def __repr__(self) -> str:
        text = (
            f"StabilityResult({len(self.seeds)} runs, "
            f"pairwise ARI {self.mean_ari:.3f} ± {self.std_ari:.3f}"
        )
        if self.scores is not None:
            for name in self.scores.columns:
                column = self.scores[name].to_numpy(dtype=float)
                text += f", {name} {column.mean():.3f} ± {column.std():.3f}"
        return text + ")"


def stability(
    fit_predict: Callable[[np.ndarray, int], Any],
    X: Any,
    seeds: Iterable[int] = range(5),
    *,
    y_true: Any | None = None,
    bootstrap: bool = False,
    random_state: int | np.random.RandomState | np.random.Generator | None = 0,
) -> StabilityResult:
    """Run a clustering method several times and measure how much its answers agree.

    Parameters
    ----------
    fit_predict : callable ``(X, seed) -> labels``
        Clusters the rows it is given with that seed and returns one label per row, e.g.
        ``lambda X, seed: KMeans(4, random_state=seed).fit_predict(X)``.
    X : array-like of shape (n_samples, n_features)
        The data.
    seeds : iterable of int, default range(5)
        One run per seed; at least two.
    y_true : array-like of shape (n_samples,), optional
        True classes; when given, every run is also scored (ACC, NMI, ARI) against them.
    bootstrap : bool, default False
        If True, each run gets its own bootstrap sample (n rows drawn with replacement,
        seeded by ``random_state``); two runs are then compared on the points both drew
        (a point drawn twice keeps the label of its first copy). This tests stability
        under a change of data, not only of initialisation.
    random_state : int, RandomState or None, default 0
        Seeds the bootstrap draws (the seeds of the runs come from ``seeds``).

    Returns
    -------
    StabilityResult
        Labels per run, the pairwise ARI matrix, its mean ± std, and the scores against
        ``y_true``; ``result.summary()`` shows them as a table.

    Examples
    --------
    >>> from sklearn.cluster import KMeans
    >>> from sklearn.datasets import make_blobs
    >>> from deepclust_lab.selection import stability
    >>> X, y = make_blobs(200, centers=3, cluster_std=0.5, random_state=0)
    >>> def kmeans(X, seed):
    ...     return KMeans(3, n_init=1, random_state=seed).fit_predict(X)
    >>> result = stability(kmeans, X, seeds=range(3), y_true=y)
    >>> round(result.mean_ari, 3), round(float(result.scores["ACC"].mean()), 3)
    (1.0, 1.0)
    """
    if not callable(fit_predict):
        raise TypeError(
            f"fit_predict must be a function (X, seed) -> labels, got {type(fit_predict).__name__}"
        )
    X = as_float_matrix(X)
    n = X.shape[0]
    if not isinstance(seeds, Iterable):
        raise TypeError(f"seeds must be a sequence of ints such as range(5), got {seeds!r}")
    seed_list = [check_int(s, "each seed in seeds", low=0) for s in seeds]
    if len(seed_list) < 2:
        raise ValueError(f"stability needs at least 2 seeds to compare runs, got {len(seed_list)}")
    if y_true is not None:
        y_true = check_labels(y_true, "y_true", n_samples=n)
    rng = check_random_state(random_state)

    labels: list[np.ndarray] = []
    indices: list[np.ndarray] = []
    per_point: list[dict[str, np.ndarray]] = []  # unique rows of each run and their labels
    for seed in seed_list:
        rows = rng.randint(0, n, size=n) if bootstrap else np.arange(n)
        result = np.asarray(fit_predict(X[rows], seed))
        if result.ndim != 1 or len(result) != len(rows):
            raise ValueError(
                f"fit_predict returned labels of shape {result.shape} for {len(rows)} rows "
                f"(seed {seed}); it must return one label per row"
            )
        labels.append(result)
        indices.append(rows)
        unique_rows, first = np.unique(rows, return_index=True)
        per_point.append({"rows": unique_rows, "labels": result[first]})

    n_runs = len(seed_list)
    pairwise = np.eye(n_runs)
    pair_values = []
    for i in range(n_runs):
        for j in range(i + 1, n_runs):
            a, b = per_point[i], per_point[j]
            _, ia, ib = np.intersect1d(
                a["rows"], b["rows"], assume_unique=True, return_indices=True
            )
            ari = adjusted_rand_score(a["labels"][ia], b["labels"][ib]) if len(ia) >= 2 else np.nan
            pairwise[i, j] = pairwise[j, i] = ari
            pair_values.append(ari)
    pair_values = np.asarray(pair_values, dtype=float)

    scores = None
    if y_true is not None:
        records = []
        for run in per_point:
            full = external_scores(y_true[run["rows"]], run["labels"])
            records.append({name: full[name] for name in ("ACC", "NMI", "ARI")})
        scores = pd.DataFrame.from_records(records, index=pd.Index(seed_list, name="seed"))

    return StabilityResult(
        seeds=seed_list,
        labels=labels,
        indices=indices,
        pairwise_ari=pairwise,
        mean_ari=float(np.nanmean(pair_values)),
        std_ari=float(np.nanstd(pair_values)),
        scores=scores,
    )
