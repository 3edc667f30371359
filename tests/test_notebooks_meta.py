"""The notebook rules that nbval does not check, for every notebooks/*.ipynb.

* files are named NN_short_name.ipynb and numbered 00, 01, 02, ... without gaps;
* the first cell is Markdown: a '# ' title, a 'Learning goals' list and the expected run time;
* the second cell imports and runs ``%load_ext deepclust_lab``;
* the notebook is committed with outputs from a clean run: every code cell executed, in order;
* no cell has an error output;
* no output shows an absolute path, the user name or the host name;
* nbval markers stand alone on their line (otherwise nbval ignores them);
* every decimal number the Markdown quotes is one the notebook's own outputs print (see
  :func:`test_markdown_numbers_are_in_the_outputs` for the rule and its one exemption).
"""

from __future__ import annotations

import getpass
import re
import socket
from pathlib import Path

import nbformat
import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
NAME = re.compile(r"^(\d\d)_[a-z0-9]+(_[a-z0-9]+)*\.ipynb$")

# absolute paths that give away where (and as whom) a notebook was run
PATHS = re.compile(r"(/root\b|/home/|/Users/|/tmp/|/work/|/private/var/|\b[A-Za-z]:\\)")
# outputs that are pictures or widget state, not text a reader sees
SKIPPED_MIME = ("image/", "application/vnd.jupyter.widget", "application/pdf")
_GENERIC_USERS = {"root", "user", "admin", "runner", "jovyan"}  # too common to search for


def _ids(paths):
    return [p.name for p in paths]


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _output_texts(cell) -> list[str]:
    texts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            texts.append(output.get("text", ""))
        elif output.get("output_type") == "error":
            texts.append("\n".join(output.get("traceback", [])))
        for mime, value in output.get("data", {}).items():
            if not mime.startswith(SKIPPED_MIME):
                texts.append(value if isinstance(value, str) else "".join(value))
    return texts


def test_there_are_notebooks():
    assert NOTEBOOKS, f"no notebooks found in {NOTEBOOK_DIR}"


def test_names_are_numbered_consecutively():
    numbers = []
    for path in NOTEBOOKS:
        match = NAME.match(path.name)
        assert match, f"{path.name}: name notebooks NN_short_name.ipynb (lower case, underscores)"
        numbers.append(int(match.group(1)))
    assert numbers == list(range(len(numbers))), f"notebook numbers must run 00, 01, ...: {numbers}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_first_cell_has_title_goals_and_run_time(path):
    cell = _read(path).cells[0]
    assert cell.cell_type == "markdown", "the first cell must be Markdown"
    text = cell.source
    assert re.search(r"^# \S", text, re.M), "the first cell needs a '# ' title"
    goals = re.search(r"learning goals", text, re.I)
    assert goals, "the first cell needs a 'Learning goals' heading"
    after = text[goals.end():]
    assert re.search(r"^\s*(?:[-*]|\d+\.)\s+\S", after, re.M), "list the learning goals"
    assert re.search(r"run ?time", text, re.I), "state the expected run time"
    assert re.search(r"\d+\s*(?:s\b|sec|second|min)", text, re.I), "give the run time in s or min"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_second_cell_loads_the_extension(path):
    cell = _read(path).cells[1]
    assert cell.cell_type == "code", "the second cell must be the imports (code)"
    assert re.search(r"^%load_ext deepclust_lab\s*$", cell.source, re.M), \
        "the second cell must run %load_ext deepclust_lab"
    assert "import" in cell.source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_committed_with_outputs_from_a_clean_run(path):
    counts = []
    for index, cell in enumerate(_read(path).cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        assert cell.get("execution_count") is not None, \
            f"cell {index} was not executed; run scripts/run_notebooks.py {path.name}"
        counts.append(cell.execution_count)
    assert counts, "a notebook without code?"
    assert counts == sorted(counts) and len(set(counts)) == len(counts), \
        f"cells were run out of order {counts}; re-run the notebook top to bottom"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_no_error_outputs(path):
    for index, cell in enumerate(_read(path).cells):
        for output in cell.get("outputs", []):
            assert output.get("output_type") != "error", (
                f"cell {index} has an error output: {output.get('ename')}: {output.get('evalue')}"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_no_machine_details_in_outputs(path):
    user = getpass.getuser()
    host = socket.gethostname()
    names = [n for n in (user, host) if len(n) >= 3 and n.lower() not in _GENERIC_USERS]
    for index, cell in enumerate(_read(path).cells):
        for text in _output_texts(cell):
            found = PATHS.search(text)
            context = text[max(0, found.start() - 40):found.end() + 40] if found else ""
            assert not found, f"cell {index} shows an absolute path: ...{context}..."
            for name in names:
                assert not re.search(rf"\b{re.escape(name)}\b", text), \
                    f"cell {index} shows the user or host name {name!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_nbval_markers_are_alone_on_their_line(path):
    # nbval honours a marker only when the comment is exactly '# NBVAL_…'; anything after it on
    # the same line (a reason, a colon) silently turns the marker off. Reasons go on the next line.
    for index, cell in enumerate(_read(path).cells):
        for line in cell.source.splitlines():
            if "NBVAL_" in line:
                assert re.fullmatch(r"\s*#\s*NBVAL_[A-Z_]+\s*", line), (
                    f"{path.name} cell {index}: {line.strip()!r} is not a bare nbval marker"
                )


# A decimal number: digits, a point, digits; not part of a dotted version such as 3.15.1.
DECIMAL = re.compile(r"(?<![\d.])\d+\.\d+(?!\.?\d)")
# The one exemption: <!-- quoted: 0.778 0.017 from benchmarks/results/clustering_quality_digits.md -->
QUOTED = re.compile(r"<!--\s*quoted:(.*?)-->", re.S)
# Markdown that is not prose: HTML comments, fenced and inline code, link targets and URLs.
NOT_PROSE = re.compile(r"<!--.*?-->|```.*?```|`[^`\n]*`|\]\([^)]*\)|https?://\S+", re.S)


def _context(text: str, start: int, end: int) -> str:
    return " ".join(text[max(0, start - 50):end + 30].split())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_markdown_numbers_are_in_the_outputs(path):
    """A number the prose quotes must be one the notebook prints, so it cannot go stale.

    Rule: every decimal number (``0.789``, ``595.5``, ``98.8 %``) in the prose of a Markdown
    cell must appear, written the same way, as a number in a text output of a code cell of the
    same notebook (``0.79`` does not match a printed ``0.789``: quote what is printed, or print
    what is quoted). Inline code (``tol=1e-4``, ``alpha=1.0``), code blocks, link targets and
    dotted versions are not prose and are not checked.

    Exemption, for a figure the notebook cannot print (a paper's result, the kit's benchmark
    tables, another notebook): list it in an HTML comment in the same cell, with its source,
    ``<!-- quoted: 0.778 0.017 from benchmarks/results/clustering_quality_digits.md -->``.
    The comment must name a source and every number it lists must occur in the cell.
    """
    nb = _read(path)
    printed = set()
    for cell in nb.cells:
        if cell.cell_type == "code":
            for text in _output_texts(cell):
                printed.update(DECIMAL.findall(text))
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        exempt = set()
        for comment in QUOTED.findall(cell.source):
            listed = DECIMAL.findall(comment)
            source = DECIMAL.sub("", comment).strip(" ,;:\n")
            assert listed and source, (
                f"{path.name} cell {index}: write <!-- quoted: NUMBERS from SOURCE -->, "
                f"got <!-- quoted:{comment}-->"
            )
            exempt.update(listed)
        prose = NOT_PROSE.sub(lambda m: " " * len(m.group()), cell.source)
        found = {m.group() for m in DECIMAL.finditer(prose)}
        if stale := sorted(exempt - found):
            problems.append(f"cell {index}: <!-- quoted --> lists {stale}, which the cell "
                            "does not quote")
        for match in DECIMAL.finditer(prose):
            if match.group() not in printed and match.group() not in exempt:
                problems.append(f"cell {index}: {match.group()} is printed by no output: "
                                f"...{_context(prose, match.start(), match.end())}...")
    assert not problems, (
        f"{path.name}: numbers in the Markdown that no output prints (re-run the notebook and "
        "update the prose, or mark a published figure <!-- quoted: N from SOURCE -->):\n  "
        + "\n  ".join(problems)
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_colab_cell_installs_only_the_kits_own_wheel(path):
    """No cell installs a name from a package index that the project does not own: on Colab the
    kit comes from its own wheel, of the version in pyproject.toml (see the README, "Colab")."""
    import tomllib

    version = tomllib.loads((NOTEBOOK_DIR.parent / "pyproject.toml").read_text())["project"]["version"]
    wheel = f"/content/deepclust_lab-{version}-py3-none-any.whl"
    installs = [line.strip() for cell in _read(path).cells if cell.cell_type == "code"
                for line in cell.source.splitlines() if re.match(r"\s*[%!]\s*pip\s+install", line)]
    assert installs == [f"%pip install --quiet {wheel}"], installs
