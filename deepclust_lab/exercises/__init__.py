"""Exercises for the notebooks, with instant feedback (in the manner of Kaggle's learntools).

Every notebook gets its exercises the same way::

    from deepclust_lab import exercises

    def assign_step(X, centers):
        ...                                    # your code here

    exercises.notebook02.assign.check(assign_step)   # not attempted / correct / what is wrong
    exercises.notebook02.assign.hint()               # a nudge
    exercises.notebook02.assign.solution()           # the reference solution's source

``get_exercise("02.assign")`` is the same object. ``check`` never raises for a wrong or
unfinished answer, so a notebook with unsolved exercises still runs top to bottom.
:mod:`.core` is the framework; ``nb01`` ... ``nb07`` hold one notebook's exercises each.

Examples
--------
>>> sorted(vars(notebook02))
['assign', 'kmeans_pp', 'update']
>>> get_exercise("04.target") is notebook04.target
True
>>> bool(get_exercise("06.impute").check(...))  # doctest: +ELLIPSIS
Not attempted yet. ...
False
"""

from __future__ import annotations

from deepclust_lab.exercises.core import CheckResult, Exercise, all_exercises, get_exercise
from deepclust_lab.exercises.nb01 import notebook01
from deepclust_lab.exercises.nb02 import notebook02
from deepclust_lab.exercises.nb03 import notebook03
from deepclust_lab.exercises.nb04 import notebook04
from deepclust_lab.exercises.nb05 import notebook05
from deepclust_lab.exercises.nb06 import notebook06
from deepclust_lab.exercises.nb07 import notebook07

__all__ = ["CheckResult", "Exercise", "all_exercises", "get_exercise", "notebook01", "notebook02",
           "notebook03", "notebook04", "notebook05", "notebook06", "notebook07"]
