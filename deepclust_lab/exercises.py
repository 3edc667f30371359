"""Exercises for the notebooks, with instant feedback (in the manner of Kaggle's learntools).

Each exercise asks for one small function. Fetch an exercise, write the function, check it::

    from deepclust_lab import exercises
    ex = exercises.get_exercise("02.assign")   # or: exercises.notebook02.assign
    ex                                         # shows the task

    def assign_step(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
        ...                                    # your code here

    ex.check(assign_step)                      # feedback: not attempted / correct / what is wrong
    ex.hint()                                  # a nudge
    ex.solution()                              # the reference solution's source

How checking works
------------------
* One reference function per exercise is both what :meth:`Exercise.solution` shows and what
  :meth:`Exercise.check` compares against: your function and the reference run on the same
  small, seeded test cases (made when you call ``check``; nothing is loaded at import).
* :meth:`Exercise.check` never raises for a wrong or missing answer, so a notebook with
  unsolved exercises still runs top to bottom. It shows a message and returns a
  :class:`CheckResult`, which is true only when the answer passed:

  - ``...`` or ``None`` as the answer, or a function whose body is still ``...`` (it returns
    ``None``) or raises ``NotImplementedError``: a friendly "not attempted yet" note,
    ``result.status == "not attempted"``, ``bool(result) is False``;
  - a wrong answer, or one that raises: what was expected and what was given,
    ``result.status == "failed"``, ``bool(result) is False``;
  - a right answer: ``result.status == "passed"``, ``bool(result) is True``.

  The message is shown once, when ``check`` runs; the returned result does not show itself
  again as the cell's output.

Exercises
---------
======================  =================================================================
key                     write
======================  =================================================================
``"01.objective"``      ``kmeans_objective(X, centers, labels)``: the K-means objective
``"01.choose_k"``       ``choose_k(ks, silhouettes)``: the k with the best silhouette
``"02.assign"``         ``assign_step(X, centers)``: the nearest centre of every point
``"02.update"``         ``update_step(X, labels, n_clusters)``: the mean of every cluster
``"02.kmeans_pp"``      ``plusplus_seeding(X, n_clusters, rng)``: k-means++ seeding
======================  =================================================================
"""

from __future__ import annotations

import html
import inspect
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, ClassVar

import numpy as np

__all__ = [
    "EXERCISES",
    "CheckResult",
    "Exercise",
    "all_exercises",
    "get_exercise",
    "notebook01",
    "notebook02",
]


# --------------------------------------------------------------------------- reference solutions
# Written for the reader: these are what ``solution()`` shows.


def kmeans_objective(X: np.ndarray, centers: np.ndarray, labels: np.ndarray) -> float:
    """Sum of squared distances from each point to the centre of its cluster."""
    # centers[labels] puts each point's own centre on the same row as the point
    differences = X - centers[labels]
    return float((differences**2).sum())


def choose_k(ks: Sequence[int], silhouettes: Sequence[float]) -> int:
    """The k with the highest silhouette (the smallest such k if several tie)."""
    ks = np.asarray(ks)
    silhouettes = np.asarray(silhouettes)
    best = silhouettes.max()
    return int(ks[silhouettes == best].min())


def assign_step(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Index of the nearest centre for every point (the K-means assignment step)."""
    # squared distance from every point to every centre, shape (n_samples, n_clusters):
    # X[:, None, :] is (n, 1, d) and centers[None, :, :] is (1, k, d); they broadcast to (n, k, d)
    sq_dist = ((X[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
    return sq_dist.argmin(axis=1)


def update_step(X: np.ndarray, labels: np.ndarray, n_clusters: int) -> np.ndarray:
    """Mean of the points in each cluster (the K-means update step)."""
    return np.array([X[labels == j].mean(axis=0) for j in range(n_clusters)])


def plusplus_seeding(X: np.ndarray, n_clusters: int, rng: np.random.Generator) -> np.ndarray:
    """Choose ``n_clusters`` rows of X as starting centres, k-means++ style."""
    n_samples = X.shape[0]
    # the first centre: a point chosen uniformly at random
    centers = [X[rng.integers(n_samples)]]
    for _ in range(1, n_clusters):
        # squared distance from every point to its nearest centre chosen so far
        sq_dist = ((X[:, None, :] - np.array(centers)[None, :, :]) ** 2).sum(axis=2).min(axis=1)
        # the next centre: a point drawn with probability proportional to that squared distance
        index = rng.choice(n_samples, p=sq_dist / sq_dist.sum())
        centers.append(X[index])
    return np.array(centers)


# --------------------------------------------------------------------------- feedback


class _Message:
    """A message shown in a notebook (Markdown) or a terminal (plain text)."""

    _COLORS: ClassVar[dict[str, str]] = {
        "passed": "#009E73", "failed": "#D55E00", "not attempted": "#0072B2",
        "hint": "#0072B2", "solution": "#000000", "task": "#000000",
    }

    def __init__(self, kind: str, heading: str, body: str = "", code: str | None = None):
        self.kind, self.heading, self.body, self.code = kind, heading, body, code

    def __str__(self) -> str:
        parts = [f"{self.heading}"]
        if self.body:
            parts.append(self.body)
        if self.code:
            parts.append(self.code)
        return "\n".join(parts)

    __repr__ = __str__

    def _repr_markdown_(self) -> str:
        color = self._COLORS.get(self.kind, "#000000")
        text = f'<span style="color:{color}"><b>{html.escape(self.heading)}</b></span>'
        if self.body:
            text += "\n\n```text\n" + self.body + "\n```"
        if self.code:
            text += "\n\n```python\n" + self.code + "\n```"
        return text


def _show(message: _Message) -> None:
    from IPython.display import display  # falls back to print outside IPython

    display(message)


@dataclass(frozen=True)
class CheckResult:
    """What :meth:`Exercise.check` found; true only when the answer passed.

    Attributes
    ----------
    status : {"passed", "failed", "not attempted"}
    message : str
        The feedback that was shown.
    """

    status: str
    message: str = field(repr=False)

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __bool__(self) -> bool:
        return self.passed

    def _ipython_display_(self) -> None:
        """Show nothing: ``check`` has already shown the message."""


class _NotAttempted(Exception):
    """The answer is still the placeholder."""


class _Wrong(Exception):
    """The answer is wrong; the message says how."""


def _fmt(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return np.array2string(value, precision=3, threshold=20, edgeitems=4, separator=", ",
                               suppress_small=True)
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    return repr(value)


def _is_placeholder(value: Any) -> bool:
    return value is None or value is Ellipsis


# --------------------------------------------------------------------------- the Exercise class


class Exercise:
    """One exercise: a task, a hint, a reference solution and a checker.

    Parameters
    ----------
    key : str
        Short id, ``"NN.name"`` (NN = the notebook).
    title : str
        One line naming the exercise.
    task : str
        What to write (shown by ``repr`` / in a notebook when the object is displayed).
    reference : callable
        The reference solution: shown by :meth:`solution`, and the function whose results
        :meth:`check` compares against.
    hint : str
        Shown by :meth:`hint`.
    checker : callable
        ``checker(answer, reference) -> str`` runs the answer, raises ``_NotAttempted`` or
        ``_Wrong`` (with a message showing expected and given), or returns a success remark.

    Examples
    --------
    >>> ex = get_exercise("01.objective")
    >>> bool(ex.check(...))  # doctest: +ELLIPSIS
    Not attempted yet. ...
    False
    >>> ex.check(ex.reference).status  # doctest: +ELLIPSIS
    Correct! ...
    'passed'
    """

    def __init__(self, key: str, title: str, task: str, reference: Callable, hint: str,
                 checker: Callable[[Any, Callable], str]):
        self.key = key
        self.title = title
        self.task = textwrap.dedent(task).strip()
        self.reference = reference
        self._hint = textwrap.dedent(hint).strip()
        self._checker = checker

    def __repr__(self) -> str:
        return f"Exercise {self.key}: {self.title}\n{self.task}"

    def _repr_markdown_(self) -> str:
        return f"**Exercise {self.key}: {html.escape(self.title)}**\n\n{self.task}"

    def check(self, answer: Any = ...) -> CheckResult:
        """Check ``answer`` (your function), show feedback and return a :class:`CheckResult`.

        Never raises for a wrong or unfinished answer; see the module docstring.
        """
        try:
            if _is_placeholder(answer):
                raise _NotAttempted
            remark = self._checker(answer, self.reference)
        except _NotAttempted:
            message = _Message(
                "not attempted", f"Not attempted yet. ({self.key}: {self.title})",
                "Replace the `...` with your code and run the cell again.\n"
                "Stuck? Call .hint(); to see a solution, call .solution().",
            )
            status = "not attempted"
        except _Wrong as wrong:
            message = _Message("failed", f"Incorrect. ({self.key}: {self.title})", str(wrong))
            status = "failed"
        else:
            message = _Message("passed", f"Correct! ({self.key}: {self.title})", remark)
            status = "passed"
        _show(message)
        return CheckResult(status, str(message))

    def hint(self) -> None:
        """Show a hint."""
        _show(_Message("hint", f"Hint ({self.key}):", self._hint))

    def solution(self) -> None:
        """Show the source of the reference solution."""
        _show(_Message("solution", f"Solution ({self.key}):", code=self.solution_source()))

    def solution_source(self) -> str:
        """The reference solution's source code, as shown by :meth:`solution`."""
        return textwrap.dedent(inspect.getsource(self.reference)).strip()


# --------------------------------------------------------------------------- checkers


def _call(answer: Callable, args: tuple, case: str, *, first: bool) -> Any:
    """Run the student's function on copies of ``args``; classify what went wrong."""
    if not callable(answer):
        raise _Wrong(
            f"check() expects your function itself, e.g. ex.check(my_function), "
            f"got {type(answer).__name__}: {_fmt(answer)}"
        )
    copies = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
    try:
        result = answer(*copies)
    except NotImplementedError:
        raise _NotAttempted from None
    except Exception as err:  # the student's code failed: report it, do not raise
        raise _Wrong(f"On {case}, your function raised {type(err).__name__}: {err}") from None
    if _is_placeholder(result):
        if first:
            raise _NotAttempted
        raise _Wrong(f"On {case}, your function returned {result!r}; did you forget `return`?")
    return result


def _as_array(value: Any, case: str, what: str) -> np.ndarray:
    if isinstance(value, tuple):
        raise _Wrong(f"On {case}, your function returned a tuple of {len(value)} items; "
                     f"return only {what}.")
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise _Wrong(f"On {case}, your function returned {_fmt(value)}; expected {what}.") from None


def _function_checker(cases: Callable[[], list[tuple[str, tuple]]],
                      compare: Callable[[Any, Any, tuple, str], None],
                      remark: str) -> Callable[[Any, Callable], str]:
    def checker(answer: Any, reference: Callable) -> str:
        for i, (case, args) in enumerate(cases()):
            given = _call(answer, args, case, first=i == 0)
            expected = reference(*args)
            compare(expected, given, args, case)
        return remark

    return checker


def _compare_labels(expected, given, args, case) -> None:
    X, centers = args
    got = _as_array(given, case, "an array of labels, one per point")
    if got.shape != expected.shape:
        raise _Wrong(
            f"On {case}: expected labels of shape {expected.shape}, given shape {got.shape}."
        )
    if not np.array_equal(got, np.round(got)) or got.min() < 0 or got.max() >= len(centers):
        raise _Wrong(f"On {case}: labels must be whole numbers from 0 to {len(centers) - 1}.\n"
                     f"expected: {_fmt(expected)}\ngiven:    {_fmt(got)}")
    got = got.astype(int)
    sq_dist = ((X[:, None, :] - centers[None]) ** 2).sum(axis=2)
    best = sq_dist.min(axis=1)
    # a different label is fine only if that centre is (within rounding) as near as the best
    wrong = sq_dist[np.arange(len(X)), got] > best + 1e-9 * (1.0 + best)
    if wrong.any():
        i = int(np.flatnonzero(wrong)[0])
        raise _Wrong(
            f"On {case}: {int(wrong.sum())} of {len(X)} points got a centre that is not their "
            "nearest "
            f"(first: point {i}, given centre {got[i]}, nearest is {expected[i]}).\n"
            f"expected: {_fmt(expected)}\ngiven:    {_fmt(got)}"
        )


def _compare_centers(expected, given, args, case) -> None:
    got = _as_array(given, case, "an array of centres, one row per cluster")
    if got.shape != expected.shape:
        hint = " (rows and columns swapped?)" if got.shape == expected.shape[::-1] else ""
        raise _Wrong(f"On {case}: expected centres of shape {expected.shape} "
                     f"(n_clusters, n_features), given shape {got.shape}{hint}.")
    if not np.allclose(got, expected, rtol=1e-7, atol=1e-9):
        worst = int(np.abs(got - expected).max(axis=1).argmax())
        raise _Wrong(f"On {case}: centre {worst} is wrong.\nexpected:\n{_fmt(expected)}\n"
                     f"given:\n{_fmt(got)}")


def _compare_number(expected, given, args, case) -> None:
    try:
        got = float(given)
    except (TypeError, ValueError):
        raise _Wrong(f"On {case}: expected one number, given {_fmt(given)}.") from None
    if not np.isclose(got, expected, rtol=1e-7, atol=1e-9):
        raise _Wrong(f"On {case}:\nexpected: {_fmt(expected)}\ngiven:    {_fmt(got)}")


def _compare_k(expected, given, args, case) -> None:
    whole = isinstance(given, (int, np.integer)) and not isinstance(given, (bool, np.bool_))
    if isinstance(given, (float, np.floating)) and float(given).is_integer():
        whole = True
    if not whole:
        raise _Wrong(f"On {case}: expected one whole number k, given {_fmt(given)}.")
    if int(given) != expected:
        raise _Wrong(f"On {case} (ks = {list(args[0])}, silhouettes = {list(args[1])}):\n"
                     f"expected: {expected}\ngiven:    {int(given)}")


# --------------------------------------------------------------------------- test cases


def _blobs(seed: int, n: int, k: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=4.0, size=(k, d))
    labels = np.arange(n) % k
    rng.shuffle(labels)
    return centers[labels] + rng.normal(size=(n, d)), labels


def _assign_cases() -> list[tuple[str, tuple]]:
    X = np.array([[0.0, 0.0], [0.5, 0.2], [4.0, 4.0], [4.5, 3.5], [0.2, 4.0], [3.9, 0.1]])
    C = np.array([[0.0, 0.0], [4.0, 4.0]])
    X2, _ = _blobs(1, 50, 3, 2)
    X3, _ = _blobs(2, 40, 4, 5)
    rng = np.random.default_rng(3)
    return [
        ("6 points and 2 centres", (X, C)),
        ("50 points and 3 random centres", (X2, rng.normal(scale=3.0, size=(3, 2)))),
        ("40 points in 5-D and 4 centres", (X3, X3[[0, 10, 20, 30]].copy())),
        ("one centre", (X2, np.array([[1.0, -1.0]]))),
    ]


def _update_cases() -> list[tuple[str, tuple]]:
    X = np.array([[0.0, 0.0], [2.0, 0.0], [4.0, 4.0], [6.0, 4.0], [0.0, 2.0], [9.0, 0.0]])
    X2, y2 = _blobs(4, 60, 3, 3)
    X3, y3 = _blobs(5, 30, 5, 2)
    return [
        ("6 points in 3 clusters", (X, np.array([0, 0, 1, 1, 0, 2]), 3)),
        ("60 points in 3-D, 3 clusters", (X2, y2, 3)),
        ("30 points, 5 clusters, labels in mixed order", (X3, y3, 5)),
    ]


def _objective_cases() -> list[tuple[str, tuple]]:
    X = np.array([[0.0, 0.0], [2.0, 0.0], [5.0, 5.0]])
    X2, y2 = _blobs(6, 40, 3, 2)
    C2 = update_step(X2, y2, 3)
    X3, y3 = _blobs(7, 25, 2, 4)
    return [
        ("3 points, 2 centres", (X, np.array([[1.0, 0.0], [5.0, 5.0]]), np.array([0, 0, 1]))),
        ("40 points, centres at the cluster means", (X2, C2, y2)),
        ("25 points in 4-D, centres not at the means", (X3, np.zeros((2, 4)), y3)),
    ]


def _choose_k_cases() -> list[tuple[str, tuple]]:
    return [
        ("k = 2..6", ([2, 3, 4, 5, 6], [0.41, 0.62, 0.55, 0.48, 0.40])),
        ("a sweep that peaks at the last k", ([2, 3, 4], [0.2, 0.3, 0.5])),
        ("two k tied for the best silhouette", ([2, 3, 4, 5], [0.5, 0.7, 0.7, 0.1])),
        ("ks not in increasing order", ([6, 2, 4, 3], [0.3, 0.45, 0.52, 0.5])),
    ]


# --------------------------------------------------------------------------- k-means++ checker


def _plusplus_checker(answer: Any, reference: Callable) -> str:
    """Check k-means++ seeding by its properties, as its output is random.

    1. shape (n_clusters, n_features), every centre a row of X, no row twice;
    2. the same Generator seed gives the same centres (the rng is the only randomness);
    3. the first centre is drawn at random (it varies with the seed);
    4. D² weighting: on data with a tight group and two far points, the far points are almost
       always chosen (uniform sampling would rarely pick them), but not always the farthest
       one (that would be farthest-first, not sampling).
    """
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(size=(40, 2)), rng.normal(size=(40, 2)) + np.array([6.0, 0.0])])
    k = 3

    def run(data, n, seed, case, first=False):
        out = _call(answer, (data, n, np.random.default_rng(seed)), case, first=first)
        return _as_array(out, case, "an array of centres, one row per cluster")

    case = "80 points in 2 groups, n_clusters=3, rng=np.random.default_rng(0)"
    got = run(X, k, 0, case, first=True)
    expected = reference(X, k, np.random.default_rng(0))
    shown = f"\nexpected (the reference with the same rng):\n{_fmt(expected)}\ngiven:\n{_fmt(got)}"
    if got.shape != (k, X.shape[1]):
        raise _Wrong(f"On {case}: expected centres of shape {(k, X.shape[1])}, given shape "
                     f"{got.shape}.{shown}")
    rows = [np.flatnonzero(np.all(np.isclose(X, c), axis=1)) for c in got]
    if any(len(r) == 0 for r in rows):
        raise _Wrong(f"On {case}: every centre must be one of the rows of X (k-means++ picks data "
                     f"points, it does not average them).{shown}")
    if len({int(r[0]) for r in rows}) < k:
        raise _Wrong(f"On {case}: the same point was chosen twice; a chosen point has distance 0 "
                     f"to its centre, so its probability must be 0.{shown}")
    again = run(X, k, 0, case)
    if not np.array_equal(again, got):
        raise _Wrong("Two calls with np.random.default_rng(0) gave different centres: draw every "
                     "random number from the `rng` argument (not np.random.* or random.*).")
    firsts = {tuple(run(X, 1, seed, f"n_clusters=1, seed {seed}")[0]) for seed in range(12)}
    if len(firsts) < 3:
        raise _Wrong("With n_clusters=1 and 12 different seeds you returned only "
                     f"{len(firsts)} different centre(s): the first centre should be a point "
                     "drawn at random with rng (e.g. X[rng.integers(len(X))]).")
    # a tight group of 30 points near 0, and two far points at 9 and 10 on the x axis
    tight = np.random.default_rng(1).normal(scale=0.05, size=(30, 2))
    Y = np.concatenate([tight, [[9.0, 0.0], [10.0, 0.0]]])
    n_runs, far, nine, from_group = 200, 0, 0, 0
    for seed in range(n_runs):
        centres = run(Y, 2, seed, f"the tight-group data, seed {seed}")
        xs = np.round(centres[:, 0], 6)
        far += bool(np.any(xs >= 9.0))
        if np.abs(centres[0]).max() < 1.0:  # first centre in the group: which far point next?
            from_group += 1
            nine += bool(np.isclose(centres[1, 0], 9.0))
    far_rate, nine_rate = far / n_runs, nine / max(from_group, 1)
    if far_rate < 0.9:
        raise _Wrong(
            f"On data with 30 points near (0, 0) and two far points at x = 9 and x = 10, "
            f"n_clusters=2: a far point was among your centres in {far_rate:.0%} of {n_runs} "
            "seeds; k-means++ gives about 99% (uniform sampling about 12%). Draw each new centre "
            "with probability proportional to its squared distance to the nearest chosen centre."
        )
    if not 0.25 <= nine_rate <= 0.65:
        raise _Wrong(
            f"On the same data, when the first centre was in the group, your second centre was the "
            f"point at x = 9 in {nine_rate:.0%} of those seeds; with D² sampling it is about 45% "
            "(81 / (81 + 100)). Always taking the farthest point is 'farthest-first', not "
            "k-means++: sample with rng.choice(len(X), p=...)."
        )
    return ("Your centres are rows of X, reproducible from the rng, and the far points are "
            f"picked in proportion to D² ({far_rate:.0%} far, {nine_rate:.0%} the nearer "
            "of the two).")


# --------------------------------------------------------------------------- the exercises

_OBJECTIVE = Exercise(
    "01.objective", "the K-means objective",
    """
    Write `kmeans_objective(X, centers, labels)` that returns the K-means objective (the
    inertia): the sum over all points of the squared distance to the centre of their cluster.
    `X` has shape (n_samples, n_features), `centers` (n_clusters, n_features), `labels`
    (n_samples,) holds each point's cluster index. Return one float.
    """,
    kmeans_objective,
    """
    `centers[labels]` gives an (n_samples, n_features) array whose row i is the centre of
    point i's cluster. Subtract it from X, square, and sum everything.
    """,
    _function_checker(_objective_cases, _compare_number,
                      "This number is what K-means makes as small as it can."),
)

_CHOOSE_K = Exercise(
    "01.choose_k", "choose k by the silhouette",
    """
    Write `choose_k(ks, silhouettes)` that returns the k whose mean silhouette is highest.
    `ks` and `silhouettes` are equally long sequences (ks in any order). If several k share
    the best score, return the smallest of them (the simpler model).
    """,
    choose_k,
    """
    Turn both into NumPy arrays; `silhouettes.max()` is the best score, and
    `ks[silhouettes == best]` the ks that reach it.
    """,
    _function_checker(_choose_k_cases, _compare_k,
                      "The silhouette is one way to choose k; the elbow of the inertia "
                      "curve is another."),
)

_ASSIGN = Exercise(
    "02.assign", "the assignment step",
    """
    Write `assign_step(X, centers)` that returns, for every row of `X` (n_samples, n_features),
    the index of the nearest row of `centers` (n_clusters, n_features) in Euclidean distance:
    an integer array of shape (n_samples,). No Python loop over the samples.
    """,
    assign_step,
    """
    Make an (n_samples, n_clusters) table of squared distances with broadcasting:
    `X[:, None, :] - centers[None, :, :]` has shape (n_samples, n_clusters, n_features).
    Square, sum over the last axis, then take `argmin` along the clusters.
    """,
    _function_checker(_assign_cases, _compare_labels,
                      "Every point now knows its nearest centre, whatever the dimension."),
)

_UPDATE = Exercise(
    "02.update", "the update step",
    """
    Write `update_step(X, labels, n_clusters)` that returns the new centres: row j is the mean
    of the points whose label is j, shape (n_clusters, n_features). You may assume every
    cluster has at least one point (the kit's `update_centers` also handles empty clusters).
    """,
    update_step,
    """
    `X[labels == j]` selects the points of cluster j; `.mean(axis=0)` averages them feature
    by feature. Do it for j = 0 .. n_clusters - 1 and stack the rows with `np.array`.
    """,
    _function_checker(_update_cases, _compare_centers,
                      "The mean is the point that minimises the squared distances to a "
                      "cluster's points, so this step can only lower the objective."),
)

_PLUSPLUS = Exercise(
    "02.kmeans_pp", "k-means++ seeding",
    """
    Write `plusplus_seeding(X, n_clusters, rng)` that picks `n_clusters` rows of X as starting
    centres: the first uniformly at random, each next one with probability proportional to
    its squared distance to the nearest centre chosen so far. Draw all random numbers from
    `rng` (a `np.random.Generator`). Return an array of shape (n_clusters, n_features).
    """,
    plusplus_seeding,
    """
    First centre: `X[rng.integers(len(X))]`. Then repeat: compute every point's squared
    distance to its nearest chosen centre (as in the assignment step, but take `.min(axis=1)`),
    divide by the sum to get probabilities `p`, and pick `X[rng.choice(len(X), p=p)]`.
    """,
    _plusplus_checker,
)

#: Every exercise by key.
EXERCISES: dict[str, Exercise] = {
    ex.key: ex for ex in (_OBJECTIVE, _CHOOSE_K, _ASSIGN, _UPDATE, _PLUSPLUS)
}

#: The exercises of notebook 01, as attributes: ``notebook01.objective``, ``notebook01.choose_k``.
notebook01 = SimpleNamespace(objective=_OBJECTIVE, choose_k=_CHOOSE_K)
#: The exercises of notebook 02: ``notebook02.assign``, ``.update``, ``.kmeans_pp``.
notebook02 = SimpleNamespace(assign=_ASSIGN, update=_UPDATE, kmeans_pp=_PLUSPLUS)


#: Modules holding the exercises of the later notebooks (03-04 and 05-06), loaded on demand.
_MORE_EXERCISES = ("deepclust_lab.exercises_deep", "deepclust_lab.exercises_evaluation")


def all_exercises() -> dict[str, Exercise]:
    """Every exercise of the course, notebooks 01 to 06, by key."""
    import importlib

    found = dict(EXERCISES)
    for name in _MORE_EXERCISES:
        found.update(importlib.import_module(name).EXERCISES)
    return found


def get_exercise(key: str) -> Exercise:
    """Return the exercise called ``key`` (e.g. ``"02.assign"``), from any notebook.

    Parameters
    ----------
    key : str
        One of the keys of :func:`all_exercises`.

    Returns
    -------
    Exercise

    Examples
    --------
    >>> get_exercise("02.update").title
    'the update step'
    >>> get_exercise("04.target").title
    "DEC's target distribution"
    >>> bool(get_exercise("06.impute").check(...))  # doctest: +ELLIPSIS
    Not attempted yet. ...
    False
    """
    if isinstance(key, str) and key in EXERCISES:
        return EXERCISES[key]
    every = all_exercises()
    if not isinstance(key, str) or key not in every:
        raise ValueError(f"key must be one of {sorted(every)}, got {key!r}")
    return every[key]
