"""Stability: does a clustering method give the same answer with another seed, or on a
resampled data set? (Notebook 05; the kit's default recipe uses the same idea to pick its
front-end, see :func:`deepclust_lab.manifold.stability`.)
"""

from __future__ import annotations

import itertools
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
    """What :func:`stability` found: per run its seed, the ``labels`` it returned for the rows
    it was given (``indices``); the ARI between every two runs on the points both were given
    (``pairwise_ari``), its mean and std (ddof=0) over the pairs; and ``scores``, one row per
    run with ACC, NMI and ARI against ``y_true`` (None without it)."""

    seeds: list[int]
    labels: list[np.ndarray]
    indices: list[np.ndarray]
    pairwise_ari: np.ndarray
    mean_ari: float
    std_ari: float
    scores: pd.DataFrame | None

    def _spreads(self) -> dict[str, tuple[float, float]]:
        rows = {"pairwise ARI": (self.mean_ari, self.std_ari)}
        for name in [] if self.scores is None else self.scores.columns:
            column = self.scores[name].to_numpy(dtype=float)
            rows[name] = (float(column.mean()), float(column.std()))
        return rows

    def summary(self) -> pd.DataFrame:
        """Mean and std of the pairwise ARI and of each score against y_true.

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
        return pd.DataFrame.from_dict(self._spreads(), orient="index", columns=["mean", "std"])

    def __repr__(self) -> str:
        spreads = ", ".join(f"{name} {mean:.3f} ± {std:.3f}"
                            for name, (mean, std) in self._spreads().items())
        return f"StabilityResult({len(self.seeds)} runs, {spreads})"


def stability(
    fit_predict: Callable[[np.ndarray, int], Any],
    X: Any,
    seeds: Iterable[int] = range(5),
    *,
    y_true: Any | None = None,
    bootstrap: bool = False,
    random_state: int | np.random.RandomState | np.random.Generator | None = 0,
) -> StabilityResult:
    """Run a clustering method once per seed (at least two) and measure how much the runs agree.

    Parameters
    ----------
    fit_predict : callable ``(X, seed) -> labels``
        Clusters the rows it is given with that seed, e.g.
        ``lambda X, seed: KMeans(4, random_state=seed).fit_predict(X)``.
    y_true : array-like of shape (n_samples,), optional
        True classes; every run is then also scored (ACC, NMI, ARI) against them.
    bootstrap : bool, default False
        Give each run its own bootstrap sample (n rows drawn with replacement, seeded by
        ``random_state``), and compare two runs on the points both drew: stability under a
        change of data, not only of initialisation.

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

    labels, indices, per_point = [], [], []  # per_point: each run's unique rows, their labels
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
        per_point.append((unique_rows, result[first]))

    pairwise = np.eye(len(seed_list))
    for i, j in itertools.combinations(range(len(seed_list)), 2):
        (rows_i, labels_i), (rows_j, labels_j) = per_point[i], per_point[j]
        _, a, b = np.intersect1d(rows_i, rows_j, assume_unique=True, return_indices=True)
        ari = adjusted_rand_score(labels_i[a], labels_j[b]) if len(a) >= 2 else np.nan
        pairwise[i, j] = pairwise[j, i] = ari
    pair_values = pairwise[np.triu_indices(len(seed_list), k=1)]

    scores = None
    if y_true is not None:
        records = []
        for rows, run_labels in per_point:
            full = external_scores(y_true[rows], run_labels)
            records.append({name: full[name] for name in ("ACC", "NMI", "ARI")})
        scores = pd.DataFrame.from_records(records, index=pd.Index(seed_list, name="seed"))

    return StabilityResult(seed_list, labels, indices, pairwise, float(np.nanmean(pair_values)),
                           float(np.nanstd(pair_values)), scores)
