"""Graded assignments from the kit's notebooks, in otter-grader's format (for instructors).

:func:`master_notebook` makes each exercise cell an otter question: the solution replaces the
cell's ``...`` between otter's ``# BEGIN SOLUTION`` / ``# END SOLUTION`` lines (so students get
the cell as the kit ships it), and the test runs the exercise's own ``check``.
:func:`write_assignment` (``deepclust-lab assign DIR``) runs ``otter assign`` on them.
"""

from __future__ import annotations

import ast
import builtins
import dis
import importlib.util
import inspect
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import CodeType

import nbformat

from deepclust_lab.exercises import Exercise, get_exercise
from deepclust_lab.workspace import find_notebook as notebook_path
from deepclust_lab.workspace import pristine_notebooks, write_atomic

__all__ = ["AssignmentError", "ExerciseCell", "find_exercises", "master_notebook",
           "notebook_path", "write_assignment"]

#: The last line of an exercise cell: ``exercises.notebookNN.<name>.check(<function>)``
_CHECK_LINE = re.compile(r"^exercises\.notebook(\d\d)\.(\w+)\.check\((\w+)\)\s*$", re.MULTILINE)


class AssignmentError(Exception):
    """``otter assign`` failed; the message ends with what it said."""


@dataclass(frozen=True)
class ExerciseCell:
    """An exercise cell: its index, the exercise's key, the name of the student's function."""

    index: int
    key: str
    function: str


def _read(notebook: str | os.PathLike) -> nbformat.NotebookNode:
    if not isinstance(notebook, str | os.PathLike):
        raise TypeError(f"notebook must be a path, got {type(notebook).__name__}")
    if Path(notebook).suffix != ".ipynb":
        raise ValueError(f"notebook must be an .ipynb file, got {str(notebook)!r}")
    return nbformat.read(notebook, as_version=4)


def find_exercises(notebook: str | os.PathLike) -> list[ExerciseCell]:
    """The code cells that define a function and end with
    ``exercises.notebookNN.<name>.check(<function>)``, in order.

    >>> [(cell.key, cell.function) for cell in find_exercises(notebook_path("02"))][:2]
    [('02.assign', 'assign_step'), ('02.update', 'update_step')]
    """
    found = []
    for index, cell in enumerate(_read(notebook).cells):
        match = _CHECK_LINE.search(cell.source) if cell.cell_type == "code" else None
        if match is not None and re.search(rf"^def {match[3]}\(", cell.source, re.MULTILINE):
            found.append(ExerciseCell(index, f"{match[1]}.{match[2]}", match[3]))
    return found


def _params(function: ast.FunctionDef) -> list[str]:
    return [node.arg for node in ast.walk(function.args) if isinstance(node, ast.arg)]


def _global_names(code: CodeType) -> set[str]:
    """The global names a function reads, also in its comprehensions and inner functions."""
    inner = (_global_names(const) for const in code.co_consts if isinstance(const, CodeType))
    return {i.argval for i in dis.get_instructions(code) if i.opname == "LOAD_GLOBAL"}.union(*inner)


def _module_imports(exercise: Exercise) -> dict[str, str]:
    """Name -> the line that imports it, in the module of the exercise's reference solution."""
    module = inspect.getmodule(exercise.reference)
    lines = {}
    for node in ast.parse(inspect.getsource(module)).body:
        for alias in node.names if isinstance(node, ast.Import | ast.ImportFrom) else ():
            line = ast.Import([alias])
            if isinstance(node, ast.ImportFrom):  # "from .core import x": the absolute name
                name = importlib.util.resolve_name("." * node.level + (node.module or ""),
                                                   module.__package__)
                line = ast.ImportFrom(name, [alias], 0)
            lines[alias.asname or alias.name.partition(".")[0]] = ast.unparse(line)
    return lines


def _solution_lines(exercise: Exercise, params: list[str]) -> list[str]:
    """The reference solution's body without its docstring, after the imports it needs."""
    source = exercise.solution_source()
    function = ast.parse(source).body[0]
    if _params(function) != params:
        raise ValueError(f"exercise {exercise.key}: the notebook's function takes {params}, but "
                         f"the solution takes {_params(function)}; give both the same parameters")
    first = function.body[0]
    start = first.end_lineno if ast.get_docstring(function) is not None else first.lineno - 1
    body = textwrap.dedent("\n".join(source.splitlines()[start:])).splitlines()
    imports = _module_imports(exercise)
    needed = _global_names(exercise.reference.__code__)
    if unknown := sorted(needed - set(imports) - set(dir(builtins))):
        raise ValueError(f"exercise {exercise.key}: its solution uses {', '.join(unknown)}, "
                         f"defined in {exercise.reference.__module__}: it cannot run on its own")
    return [line for name, line in imports.items() if name in needed] + body


def _answer_source(source: str, cell: ExerciseCell) -> str:
    """The exercise cell with the solution, between otter's markers, in place of its ``...``."""
    function = next(node for node in ast.parse(source).body
                    if isinstance(node, ast.FunctionDef) and node.name == cell.function)
    stub = function.body[-1]
    if not (isinstance(stub, ast.Expr) and isinstance(stub.value, ast.Constant)
            and stub.value.value is Ellipsis):
        raise ValueError(f"exercise {cell.key}: {cell.function}() must end with `...`, the "
                         "placeholder that the solution replaces")
    solution = _solution_lines(get_exercise(cell.key), _params(function))
    lines, indent = source.splitlines(), " " * stub.col_offset
    block = ["# BEGIN SOLUTION", *solution, "# END SOLUTION"]
    lines[stub.lineno - 1:stub.end_lineno] = [(indent + line).rstrip() for line in block]
    return "\n".join(lines)


def _test_source(cell: ExerciseCell) -> str:
    """An otter test (a function and its call) that fails unless the kit's check passes."""
    name = "test_" + cell.key.replace(".", "_")
    return (f"def {name}({cell.function}):\n"
            "    from deepclust_lab.exercises import get_exercise\n\n"
            f"    result = get_exercise({cell.key!r}).check({cell.function})\n"
            "    if not result.passed:\n        raise AssertionError(result.message)\n\n\n"
            f"{name}({cell.function})")


def master_notebook(notebook: str | os.PathLike) -> nbformat.NotebookNode:
    """The otter-grader master notebook: otter's configuration, then the notebook with each
    exercise cell in a question worth one point (the cell with its solution, then its test)."""
    exercises = {cell.index: cell for cell in find_exercises(notebook)}
    if not exercises:
        raise ValueError(f"notebook: {Path(notebook).name} has no exercises to grade")
    nb = _read(notebook)
    # no otter cells in the notebooks (the kit's check gives feedback); tests as functions
    config = (f"# ASSIGNMENT CONFIG\nname: '{Path(notebook).stem}'\ninit_cell: false\n"
              "check_all_cell: false\nexport_cell: false\ntests:\n  ok_format: false")
    cells = [nbformat.v4.new_raw_cell(config)]
    for index, cell in enumerate(nb.cells):
        if index not in exercises:
            cells.append(cell)
            continue
        found, raw = exercises[index], nbformat.v4.new_raw_cell
        name = "exercise_" + found.key.replace(".", "_")
        answer = nbformat.v4.new_code_cell(_answer_source(cell.source, found),
                                           metadata=cell.metadata)
        cells += [raw(f"# BEGIN QUESTION\nname: {name}\npoints: 1\ncheck_cell: false"),
                  raw("# BEGIN SOLUTION"), answer, raw("# END SOLUTION"),
                  raw("# BEGIN TESTS"), nbformat.v4.new_code_cell(_test_source(found)),
                  raw("# END TESTS"), raw("# END QUESTION")]
    nb.cells = cells
    return nb


def _empty_folder(directory: str | os.PathLike) -> Path:
    """``directory``, if it is new or an empty folder (and not a symlink)."""
    if not isinstance(directory, str | os.PathLike):
        raise TypeError(f"directory must be a path, got {type(directory).__name__}")
    target = Path(directory)
    if target.is_symlink():
        raise ValueError(f"directory: {target} is a symlink; give the folder it points to")
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"directory: {target} exists and is not a folder")
    if target.exists() and any(target.iterdir()):
        raise FileExistsError(f"directory: {target} is not empty; give a new or empty folder, "
                              "so that nothing of yours is overwritten")
    return target


def _select(notebooks: Sequence[str] | None) -> list[Path]:
    """The kit's notebooks that ``notebooks`` names (all of them for None), each once."""
    if isinstance(notebooks, str) or not isinstance(notebooks, Sequence | None):
        raise TypeError(f"notebooks must be a list such as ['02', '04'], got {notebooks!r}")
    if notebooks is not None and len(notebooks) == 0:
        raise ValueError("notebooks must name at least one notebook, or be None for all")
    try:
        paths = pristine_notebooks() if notebooks is None else map(notebook_path, notebooks)
        return list(dict.fromkeys(paths))
    except (TypeError, ValueError) as err:
        raise type(err)(f"notebooks: {err}") from None


def _otter_assign(master: Path, result: Path, run_tests: bool) -> None:
    """``otter assign`` ``master`` into ``result`` (its temporary files too)."""
    command = [sys.executable, "-m", "otter", "assign", "--no-pdfs", str(master), str(result)]
    if not run_tests:
        command.insert(4, "--no-run-tests")
    done = subprocess.run(command, capture_output=True, text=True,
                          env={**os.environ, "TMPDIR": str(result)})
    if done.returncode != 0:
        said = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])  # the traceback
        raise AssignmentError(f"otter assign {master.name} failed ({done.returncode}):\n{said}")


def _gather(source: Path, target: Path) -> list[Path]:
    """Copy otter's output folder ``source`` into ``target``, never over a file or through a
    symlink; the autograder zip becomes ``autograder.zip``, the name ``otter run`` looks for."""
    written = []
    for path in sorted(p for p in source.rglob("*") if p.is_file() and not p.is_symlink()):
        relative = path.relative_to(source)
        if path.suffix == ".zip":  # otter names it <notebook>-autograder_<date and time>.zip
            relative = relative.with_name("autograder.zip")
        dest = target / relative
        dest.parent.mkdir(parents=True, exist_ok=True)
        if os.path.lexists(dest) or not dest.parent.resolve().is_relative_to(target.resolve()):
            raise FileExistsError(f"{dest} is already there; nothing is written over it")
        write_atomic(dest, path.read_bytes())
        written.append(dest)
    return written


def write_assignment(directory: str | os.PathLike, notebooks: Sequence[str] | None = None, *,
                     run_tests: bool = True,
                     progress: Callable[[str], None] | None = None) -> tuple[list[Path], list[Path]]:
    """Write an otter-grader assignment of the kit's ``notebooks`` (by number or name;
    default: all) into ``directory``, a new or empty folder.

    It gets ``master/`` (the master notebooks, to edit and assign again), ``student/`` (the
    notebooks without solutions, to hand out) and ``autograder/<notebook>/`` (with the
    ``autograder.zip`` that ``otter run`` grades submissions with). ``run_tests`` lets otter
    check that the solutions pass (it runs each notebook); ``progress`` is called with a line
    before each notebook. Returns the files written (none is left behind on a failure) and
    the notebooks skipped for having no exercises.
    """
    sources = _select(notebooks)
    if importlib.util.find_spec("otter") is None:
        raise ModuleNotFoundError("otter-grader is not installed", name="otter")
    skipped = [source for source in sources if not find_exercises(source)]
    if len(skipped) == len(sources):
        raise ValueError(f"notebooks: {', '.join(s.name for s in skipped)} has no exercises")
    target = _empty_folder(directory)
    created = not target.exists()
    target.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        for source in (source for source in sources if source not in skipped):
            if progress is not None:
                progress(f"otter assign {source.name}" + " (running its tests)" * run_tests)
            master = target / "master" / source.name
            master.parent.mkdir(exist_ok=True)
            write_atomic(master, nbformat.writes(master_notebook(source)) + "\n")
            written.append(master)
            with tempfile.TemporaryDirectory(prefix=".otter-", dir=target) as work:
                _otter_assign(master, Path(work), run_tests)
                written += _gather(Path(work) / "student", target / "student")
                written += _gather(Path(work) / "autograder", target / "autograder" / source.stem)
    except BaseException:
        for part in ("master", "student", "autograder"):
            shutil.rmtree(target / part, ignore_errors=True)
        if created:
            shutil.rmtree(target, ignore_errors=True)
        raise
    return written, skipped
