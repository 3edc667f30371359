"""deepclust-lab assign: otter-grader assignments, graded with the real grader (no Docker).

One assignment of notebook 02 is built for the whole module; grading runs each notebook in a
kernel, so the graded copies keep only the import cell and the exercise cells.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest

from deepclust_lab import cli, grading
from deepclust_lab.workspace import notebook_dir

pytest.importorskip("otter", reason="needs the [grade] extra (otter-grader)")
# otter 7.0 calls DataFrame.drop(inplace=True), which recent pandas deprecates
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.drop")

STEM = "02_kmeans_from_scratch"
QUESTIONS = ["exercise_02_assign", "exercise_02_kmeans_pp", "exercise_02_update"]


@pytest.fixture(scope="module")
def assignment(tmp_path_factory) -> tuple[Path, str]:
    """``deepclust-lab assign DIR --notebooks 02 00 --no-run-tests``: the folder and its report."""
    directory = tmp_path_factory.mktemp("course") / "assignment"
    report = io.StringIO()
    with contextlib.redirect_stderr(report):
        status = cli.main(["assign", str(directory), "--notebooks", "02", "00", "--no-run-tests"])
    assert status == 0, report.getvalue()
    return directory, report.getvalue()


def solution_lines(master: Path) -> list[str]:
    """The code lines between otter's solution markers in a master notebook, but for comments
    and imports (the notebook itself imports numpy)."""
    lines, inside = [], False
    code = [cell for cell in nbformat.read(master, as_version=4).cells if cell.cell_type == "code"]
    for cell in code:
        for line in cell.source.splitlines():
            if line.strip() in ("# BEGIN SOLUTION", "# END SOLUTION"):
                inside = line.strip() == "# BEGIN SOLUTION"
            elif inside and line.strip() and not line.strip().startswith(("#", "import", "from")):
                lines.append(line.strip())
    return lines


def exercises_only(notebook: Path, dest: Path) -> Path:
    """A copy of ``notebook`` with its first code cell (the imports) and its exercise cells."""
    nb = nbformat.read(notebook, as_version=4)
    keep = {cell.index for cell in grading.find_exercises(notebook)}
    keep.add(next(i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"))
    nb.cells = [cell for i, cell in enumerate(nb.cells) if i in keep]
    nbformat.write(nb, dest)
    return dest


def test_assign_writes_the_three_folders_and_says_so(assignment):
    directory, report = assignment
    files = sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file())
    assert files == [f"autograder/{STEM}/{STEM}.ipynb", f"autograder/{STEM}/autograder.zip",
                     f"autograder/{STEM}/otter_config.json", f"master/{STEM}.ipynb",
                     f"student/{STEM}.ipynb"]
    assert "skipped  00_setup_check.ipynb (no exercises)" in report
    for name in files:
        assert f"wrote    {directory / name}" in report
    assert f"otter run -a {directory}/autograder/{STEM}/autograder.zip" in report
    with zipfile.ZipFile(directory / "autograder" / STEM / "autograder.zip") as archive:
        assert sorted(n for n in archive.namelist() if n.startswith("tests/")) == [
            f"tests/{q}.py" for q in QUESTIONS]


def test_the_student_copy_has_no_solution_code(assignment):
    directory, _ = assignment
    solutions = solution_lines(directory / "master" / f"{STEM}.ipynb")
    assert len(solutions) >= 10 and "return sq_dist.argmin(axis=1)" in solutions
    student_text = (directory / "student" / f"{STEM}.ipynb").read_text()
    assert "SOLUTION" not in student_text
    assert [line for line in solutions if line in student_text] == []
    autograder_text = (directory / "autograder" / STEM / f"{STEM}.ipynb").read_text()
    assert all(json.dumps(line, ensure_ascii=False)[1:-1] in autograder_text for line in solutions)

    # the student gets the exercise cells exactly as the kit ships them
    shipped = notebook_dir() / f"{STEM}.ipynb"
    student = directory / "student" / f"{STEM}.ipynb"
    cells = [nbformat.read(path, as_version=4).cells for path in (shipped, student)]
    sources = [[cells[k][c.index].source for c in grading.find_exercises(path)]
               for k, path in enumerate((shipped, student))]
    assert len(sources[0]) == 3 and sources[1] == sources[0]


def test_the_real_grader_gives_the_solutions_full_marks_and_the_blank_copy_zero(
        assignment, tmp_path):
    from otter.api import grade_submission

    directory, _ = assignment
    autograder = str(directory / "autograder" / STEM / "autograder.zip")
    solved = exercises_only(directory / "autograder" / STEM / f"{STEM}.ipynb", tmp_path / "a.ipynb")
    blank = exercises_only(directory / "student" / f"{STEM}.ipynb", tmp_path / "b.ipynb")
    full = grade_submission(str(solved), autograder, quiet=True)
    zero = grade_submission(str(blank), autograder, quiet=True)

    assert sorted(full.test_files) == QUESTIONS
    assert {q: full.get_score(q) for q in QUESTIONS} == dict.fromkeys(QUESTIONS, 1)
    assert (full.total, full.possible) == (3, 3)
    assert {q: zero.get_score(q) for q in QUESTIONS} == dict.fromkeys(QUESTIONS, 0)
    assert (zero.total, zero.possible) == (0, 3)
    assert "Not attempted yet. (02.assign" in str(zero.get_result("exercise_02_assign"))


def test_a_wrong_answer_fails_its_otter_test(assignment):
    from otter.test_files.exception_test import ExceptionTestFile

    directory, _ = assignment
    with zipfile.ZipFile(directory / "autograder" / STEM / "autograder.zip") as archive:
        source = archive.read("tests/exercise_02_assign.py").decode()
    test = ExceptionTestFile.from_string(source, path="exercise_02_assign.py")

    def everyone_to_centre_0(X, centers):
        return np.zeros(len(X), dtype=int)

    test.run({"assign_step": everyone_to_centre_0})
    assert (test.passed_all, test.score) == (False, 0)
    assert "Incorrect. (02.assign" in test.summary()
    from deepclust_lab.exercises.nb02 import assign_step

    test.run({"assign_step": assign_step})
    assert (test.passed_all, test.score) == (True, 1)


def test_every_notebook_with_exercises_becomes_a_master_notebook():
    for path in sorted(notebook_dir().glob("[0-9][0-9]_*.ipynb")):
        found = grading.find_exercises(path)
        if not found:
            with pytest.raises(ValueError, match="has no exercises to grade"):
                grading.master_notebook(path)
            continue
        master = grading.master_notebook(path)
        sources = [cell.source for cell in master.cells]
        assert sources[0].startswith(f"# ASSIGNMENT CONFIG\nname: '{path.stem}'")
        assert sum(s.startswith("# BEGIN QUESTION") for s in sources) == len(found)
        assert sum(s.startswith("def test_") for s in sources) == len(found)
    # a solution that needs a name its notebook does not import brings its own import
    accuracy = grading.master_notebook(grading.notebook_path("05"))
    assert any("    from scipy.optimize import linear_sum_assignment\n" in cell.source
               for cell in accuracy.cells)


@pytest.mark.parametrize(("setup", "args", "message"), [
    ("full", [], "is not empty; give a new or empty folder"),
    ("file", [], "exists and is not a folder"),
    ("link", [], "is a symlink"),
    ("none", ["--notebooks", "99"], "notebooks: no notebook called '99'"),
    ("none", ["--notebooks", "00"], "notebooks: 00_setup_check.ipynb has no exercises"),
])
def test_assign_refuses_clearly_and_writes_nothing(tmp_path, capsys, setup, args, message):
    target = tmp_path / "out"
    if setup == "full":
        target.mkdir()
        (target / "mine.txt").write_text("my notes")
    elif setup == "file":
        target.write_text("a file")
    elif setup == "link":
        (tmp_path / "elsewhere").mkdir()
        target.symlink_to(tmp_path / "elsewhere")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    assert cli.main(["assign", str(target), *args]) == 1
    assert message in capsys.readouterr().err
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_assign_without_otter_names_the_extra(tmp_path, capsys, monkeypatch):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "otter" else find_spec(name, *a))
    assert cli.main(["assign", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "install it with: pip install 'deepclust-lab[grade]'" in err
    assert not (tmp_path / "out").exists()


def test_a_failing_otter_assign_is_reported_and_leaves_nothing(tmp_path, capsys, monkeypatch):
    said = "Traceback (most recent call last):\nRuntimeError: Some autograder tests failed"
    monkeypatch.setattr(grading.subprocess, "run", lambda command, **kwargs:
                        grading.subprocess.CompletedProcess(command, 1, "", said))
    target = tmp_path / "out"
    assert cli.main(["assign", str(target), "--notebooks", "02"]) == 1
    err = capsys.readouterr().err
    assert f"otter assign {STEM}.ipynb failed (1):\n{said}" in err
    assert f"nothing was written to {target}" in err
    assert not target.exists()
