"""The exercise framework: :class:`Exercise`, its checkers and comparators, and the registry.
The exercises live in one module per notebook (``nb01`` ... ``nb07``), built from the public
names of this one.

A checker is ``checker(answer, reference) -> remark``: it raises :class:`NotAttempted` or
:class:`Wrong` (whose message shows what was expected and what was given), or returns a remark
shown under "Correct!". :func:`function_checker` builds one from test cases and a comparator.
Every call of the student's function goes through :func:`call_answer`, which catches a missing
``return``, an input changed in place, an exception, and warnings (told in plain words).

Examples
--------
>>> def double(x):
...     return 2 * x
>>> ex = Exercise("99.double", "doubling", "Write `double(x)`.", double, "Add x to itself.",
...               function_checker(lambda: [("x = 3", (3.0,))], compare_number, "Twice."))
>>> ex.check(lambda x: x + x).status
Correct! (99.double: doubling)
Twice.
'passed'
>>> def forgot(x):
...     y = 2 * x
>>> ex.check(forgot).status  # doctest: +ELLIPSIS
Incorrect. (99.double: doubling)
On x = 3, your function returned None: did you forget `return`? ...
'failed'
>>> ex.check(...).passed  # doctest: +ELLIPSIS
Not attempted yet. ...
False
"""

from __future__ import annotations

import dis
import html
import inspect
import textwrap
import warnings
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, ClassVar

import numpy as np

__all__ = ["REGISTRY", "CheckResult", "Exercise", "Message", "NotAttempted", "Wrong",
           "all_exercises", "as_array", "call_answer", "compare_array", "compare_number",
           "compare_whole_number", "describe_warning", "exercise_set", "format_value",
           "function_checker", "get_exercise", "is_stub", "seeded_groups"]

Checker = Callable[[Any, Callable], str]
Cases = Callable[[], list[tuple[str, tuple]]]
Compare = Callable[[Any, Any, tuple, str], None]


class NotAttempted(Exception):
    """The answer is still the placeholder."""


class Wrong(Exception):
    """The answer is wrong; the message says how (what was expected, what was given)."""


@dataclass(repr=False)
class Message:
    """Feedback, as Markdown in a notebook or plain text in a terminal."""

    COLORS: ClassVar[dict[str, str]] = {
        "passed": "#009E73", "failed": "#D55E00", "not attempted": "#0072B2", "hint": "#0072B2",
    }
    kind: str
    heading: str
    body: str = ""
    code: str | None = None

    def __str__(self) -> str:
        return "\n".join(part for part in (self.heading, self.body, self.code) if part)

    __repr__ = __str__

    def _repr_markdown_(self) -> str:
        color = self.COLORS.get(self.kind, "#000000")
        text = f'<span style="color:{color}"><b>{html.escape(self.heading)}</b></span>'
        if self.body:
            text += "\n\n```text\n" + self.body + "\n```"
        if self.code:
            text += "\n\n```python\n" + self.code + "\n```"
        return text

    def show(self) -> None:
        from IPython.display import display  # prints outside IPython

        display(self)


@dataclass(frozen=True)
class CheckResult:
    """``status`` "passed", "failed" or "not attempted", and the ``message`` shown; true only
    when the answer passed."""

    status: str
    message: str = field(repr=False)

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __bool__(self) -> bool:
        return self.passed

    def _ipython_display_(self) -> None:  # check() has shown the message already
        pass


def format_value(value: Any) -> str:
    """A short, rounded text for a value in a feedback message."""
    if isinstance(value, np.ndarray):
        return np.array2string(value, precision=3, threshold=20, edgeitems=4, separator=", ",
                               suppress_small=True)
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    return repr(value)


def is_stub(answer: Any) -> bool:
    """True for a function whose body does nothing (``...``, ``pass``, a docstring)."""
    code = getattr(answer, "__code__", None)
    if code is None:
        return False
    steps = [(i.opname, i.argval) for i in dis.get_instructions(code)
             if i.opname not in ("RESUME", "NOP", "CACHE")]
    return steps in ([("LOAD_CONST", None), ("RETURN_VALUE", None)], [("RETURN_CONST", None)])


class Exercise:
    """One exercise: ``key`` ``"NN.name"`` (NN = the notebook), a task, a hint, and a
    ``reference`` solution that is both what :meth:`solution` shows and what the ``checker``
    compares against.
    """

    def __init__(self, key: str, title: str, task: str, reference: Callable, hint: str,
                 checker: Checker):
        self.key, self.title, self.reference = key, title, reference
        self.task = inspect.cleandoc(task)
        self._hint = inspect.cleandoc(hint)
        self._checker = checker

    def __repr__(self) -> str:
        return f"Exercise {self.key}: {self.title}\n{self.task}"

    def _repr_markdown_(self) -> str:
        return f"**Exercise {self.key}: {html.escape(self.title)}**\n\n{self.task}"

    def check(self, answer: Any = ...) -> CheckResult:
        """Check ``answer`` (your function), show feedback and return a :class:`CheckResult`.
        Never raises for a wrong or unfinished answer; warnings are told in words."""
        name = f"({self.key}: {self.title})"
        notes: dict[str, str] = {}
        token = _WARNING_NOTES.set(notes)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the checker's own warnings are not yours
                message = self._verdict(answer, name)
        finally:
            _WARNING_NOTES.reset(token)
        if notes and message.kind == "failed":
            message.body += "\n\nA clue:\n" + "\n".join(notes.values())
        elif notes and message.kind == "passed":
            message.body += "\n\nStill worth a look:\n" + "\n".join(notes.values())
        message.show()
        return CheckResult(message.kind, str(message))

    def _verdict(self, answer: Any, name: str) -> Message:
        try:
            if answer is None or answer is Ellipsis or is_stub(answer):
                raise NotAttempted
            remark = self._checker(answer, self.reference)
            return Message("passed", f"Correct! {name}", remark)
        except NotAttempted:
            return Message("not attempted", f"Not attempted yet. {name}",
                           "Replace the `...` with your code and run the cell again.\n"
                           "Stuck? Call .hint(); to see a solution, call .solution().")
        except Wrong as wrong:
            return Message("failed", f"Incorrect. {name}", str(wrong))

    def hint(self) -> None:
        """Show a hint."""
        Message("hint", f"Hint ({self.key}):", self._hint).show()

    def solution(self) -> None:
        """Show the source of the reference solution."""
        Message("solution", f"Solution ({self.key}):", code=self.solution_source()).show()

    def solution_source(self) -> str:
        return textwrap.dedent(inspect.getsource(self.reference)).strip()


# --------------------------------------------------------------------------- running answers

#: While :meth:`Exercise.check` runs, :func:`call_answer`'s notes on warnings: what happened
#: -> the first sentence that said so (with its case)
_WARNING_NOTES: ContextVar[dict[str, str] | None] = ContextVar("_WARNING_NOTES", default=None)

# (kind of warning, words in its text, what happened in plain words), first match wins
_WARNING_WORDS: list[tuple[type[Warning], str, str]] = [
    (RuntimeWarning, "divide by zero",
     "divided by zero, which gives inf. A zero distance (a point to itself, the diagonal of a "
     "distance matrix) or an empty cluster is the usual cause."),
    (RuntimeWarning, "empty slice",
     "took the mean of an empty array, which gives NaN. Is there a cluster with no points?"),
    (RuntimeWarning, "degrees of freedom",
     "took the standard deviation of an empty array, which gives NaN."),
    (RuntimeWarning, "invalid value",
     "computed something with no value, such as 0 / 0, inf / inf, inf - inf or the square "
     "root of a negative number, which gives NaN."),
    (RuntimeWarning, "overflow",
     "made a number too large for a float (an overflow), which gives inf."),
    (np.exceptions.ComplexWarning, "",
     "stored complex numbers as real ones, which throws away their imaginary part. The FFT "
     "returns complex numbers: take their magnitude with np.abs(...)."),
]


def _warning_meaning(warning: Warning) -> str:
    """The end of the sentence "your function ..." for ``warning``."""
    text = str(warning)
    for kind, words, meaning in _WARNING_WORDS:
        if isinstance(warning, kind) and words in text:
            return meaning
    return f"caused a warning: {text}"


def describe_warning(warning: Warning, case: str) -> str:
    """What a warning of the student's function on test ``case`` means, in one sentence.

    Examples
    --------
    >>> describe_warning(RuntimeWarning("overflow encountered in exp"), "x = 1000")
    'On x = 1000, your function made a number too large for a float (an overflow), which gives inf.'
    """
    return f"On {case}, your function {_warning_meaning(warning)}"


def _copy_input(value: Any) -> Any:
    """A copy of arrays, lists and tuples; other inputs (numbers, generators) as they are."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, tuple)):
        return type(value)(_copy_input(item) for item in value)
    return value


def _what_changed(before: Any, after: Any) -> str:
    """How the input ``after`` differs from the copy ``before`` ("" when it does not)."""
    if isinstance(before, np.ndarray):
        if not isinstance(after, np.ndarray):
            return f"it was replaced by {format_value(after)}"
        if after.shape != before.shape:
            return f"its shape went from {before.shape} to {after.shape}"
        changed = before != after
        if before.dtype.kind in "fc":
            changed &= ~(np.isnan(before) & np.isnan(after))
        if changed.any():
            return (f"{int(changed.sum())} of its {before.size} values changed.\n"
                    f"before:\n{format_value(before)}\nafter:\n{format_value(after)}")
        return ""
    if isinstance(before, (list, tuple)):
        if len(after) != len(before):
            return f"it had {len(before)} items, now {len(after)}."
        for i, (item_before, item_after) in enumerate(zip(before, after, strict=True)):
            if how := _what_changed(item_before, item_after):
                return f"item {i}: {how}"
        return ""
    if isinstance(before, (int, float, str)) and (type(after) is not type(before)
                                                   or after != before):
        return f"{before!r} became {format_value(after)}."
    return ""


def _raised_by(answer: Any, err: BaseException) -> bool:
    """True when ``err`` was raised in the body of ``answer`` itself, not deeper down."""
    tb = err.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_code is getattr(answer, "__code__", None)


def _run_quietly(answer: Callable, inputs: tuple, case: str) -> Any:
    """Call ``answer(*inputs)``; its warnings become notes for the feedback, never output."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            return answer(*inputs)
        finally:
            notes = _WARNING_NOTES.get()
            for record in caught:
                meaning = _warning_meaning(record.message)
                if notes is not None and meaning not in notes:  # once, for its first case
                    notes[meaning] = describe_warning(record.message, case)


def call_answer(answer: Any, args: tuple, case: str, names: tuple[str, ...] = ()) -> Any:
    """What ``answer`` returns on copies of ``args``, in test ``case`` ("6 points and 2 centres").

    Raises :class:`Wrong` when it raised, returned None or changed an input (named from
    ``names``, else "argument 1", ...), and :class:`NotAttempted` for
    ``raise NotImplementedError`` or a returned ``...``.
    """
    if not callable(answer):
        raise Wrong(f"check() expects your function itself, e.g. ex.check(my_function), "
                    f"got {type(answer).__name__}: {format_value(answer)}")
    inputs = tuple(_copy_input(a) for a in args)
    try:
        result = _run_quietly(answer, inputs, case)
    except NotImplementedError as err:
        if _raised_by(answer, err):
            raise NotAttempted from None
        raise Wrong(f"On {case}, your function raised NotImplementedError: {err}") from None
    except Exception as err:  # the student's code failed: report it, do not raise
        raise Wrong(f"On {case}, your function raised {type(err).__name__}: {err}") from None
    if result is Ellipsis:
        raise NotAttempted
    if result is None:
        raise Wrong(f"On {case}, your function returned None: did you forget `return`? A "
                    "function without a `return` line gives back None; end it with "
                    "`return <your result>`.")
    for i, (before, after) in enumerate(zip(args, inputs, strict=True)):
        if how := _what_changed(before, after):
            name = names[i] if i < len(names) and names[i] else f"argument {i + 1}"
            copy = f"list({name})" if isinstance(before, list) else f"{name}.copy()"
            raise Wrong(f"On {case}, your function changed its input `{name}` in place: {how}\n"
                        f"The caller still needs `{name}` as it was. Work on a copy "
                        f"(`{copy}`) or build a new result.")
    return result


def as_array(value: Any, case: str, what: str) -> np.ndarray:
    """``value`` as a float array, or :class:`Wrong` saying why it cannot be one."""
    if isinstance(value, tuple):
        raise Wrong(f"On {case}, your function returned a tuple of {len(value)} items; "
                    f"return only {what}.")
    if np.iscomplexobj(value):
        raise Wrong(f"On {case}, your function returned complex numbers; expected {what}. "
                    "Take their magnitude with np.abs(...).")
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise Wrong(f"On {case}, your function returned {format_value(value)}; "
                    f"expected {what}.") from None


def function_checker(cases: Cases, compare: Compare, remark: str, *,
                     show_args: bool = False) -> Checker:
    """A checker that runs the answer and the reference on every ``(description, args)`` pair
    of ``cases()`` (made when ``check`` runs, never at import) and compares the two results;
    ``show_args`` writes the argument values into the messages."""
    def checker(answer: Any, reference: Callable) -> str:
        names = tuple(inspect.signature(reference).parameters)
        for case, args in cases():
            if show_args:
                shown = (f"{n} = {list(a)}" for n, a in zip(names, args, strict=False))
                case += " (" + ", ".join(shown) + ")"
            given = call_answer(answer, args, case, names)
            compare(reference(*args), given, args, case)
        return remark

    return checker


# --------------------------------------------------------------------------- comparators


def compare_number(expected: float, given: Any, args: tuple, case: str) -> None:
    """One float, equal to the expected one up to rounding."""
    try:
        got = float(given)
    except (TypeError, ValueError):
        raise Wrong(f"On {case}: expected one number, given {format_value(given)}.") from None
    if not np.isclose(got, expected, rtol=1e-7, atol=1e-9):
        raise Wrong(f"On {case}:\nexpected: {format_value(expected)}\n"
                    f"given:    {format_value(got)}")


def compare_whole_number(expected: int, given: Any, args: tuple, case: str) -> None:
    """One whole number (an int, or a float with no fraction), equal to the expected one."""
    whole = isinstance(given, (int, np.integer)) and not isinstance(given, (bool, np.bool_))
    if not (whole or (isinstance(given, (float, np.floating)) and float(given).is_integer())):
        raise Wrong(f"On {case}: expected one whole number, given {format_value(given)}.")
    if int(given) != expected:
        raise Wrong(f"On {case}:\nexpected: {expected}\ngiven:    {int(given)}")


def compare_array(expected: np.ndarray, given: Any, args: tuple, case: str) -> None:
    """An array of the expected shape, finite, and equal up to rounding (worst row shown)."""
    got = as_array(given, case, f"an array of shape {expected.shape}")
    if got.shape != expected.shape:
        swapped = " (rows and columns swapped?)" if got.shape == expected.shape[::-1] else ""
        raise Wrong(f"On {case}: expected shape {expected.shape}, given shape "
                    f"{got.shape}{swapped}.")
    shown = f"\nexpected:\n{format_value(expected)}\ngiven:\n{format_value(got)}"
    if not np.all(np.isfinite(got)):
        raise Wrong(f"On {case}: your result contains {int((~np.isfinite(got)).sum())} NaN or "
                    f"infinite value(s).{shown}")
    if np.allclose(got, expected, rtol=1e-6, atol=1e-9):
        return
    if got.ndim == 2:
        row = int(np.abs(got - expected).max(axis=1).argmax())
        raise Wrong(f"On {case}: row {row} is wrong.\nexpected: {format_value(expected[row])}\n"
                    f"given:    {format_value(got[row])}")
    raise Wrong(f"On {case}:{shown}")


def seeded_groups(seed: int, n: int, k: int, d: int, *, scale: float = 3.0,
                  spread: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points around ``k`` random centres in ``d`` dimensions, and their group."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=scale, size=(k, d))
    labels = np.arange(n) % k
    rng.shuffle(labels)
    return centers[labels] + rng.normal(scale=spread, size=(n, d)), labels


# --------------------------------------------------------------------------- the registry

#: Every registered exercise by key (filled by :func:`exercise_set`).
REGISTRY: dict[str, Exercise] = {}


def exercise_set(*exercises: Exercise) -> SimpleNamespace:
    """Register one notebook's exercises; return them as attributes named after their keys
    (``"02.assign"`` becomes ``.assign``)."""
    REGISTRY.update((ex.key, ex) for ex in exercises)
    return SimpleNamespace(**{ex.key.partition(".")[2]: ex for ex in exercises})


def all_exercises() -> dict[str, Exercise]:
    """Every exercise of the course, by key."""
    return dict(REGISTRY)


def get_exercise(key: str) -> Exercise:
    """The exercise called ``key`` (e.g. ``"02.assign"``), from any notebook."""
    if not isinstance(key, str) or key not in REGISTRY:
        raise ValueError(f"key must be one of {sorted(REGISTRY)}, got {key!r}")
    return REGISTRY[key]
