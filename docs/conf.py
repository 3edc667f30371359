"""Sphinx configuration for the deepclust-lab documentation site (``make docs``).

The hand-written pages (``index.md``, ``notebooks.md``, ``benchmarks.md``) sit beside three
folders that this file fills on every build and that git ignores (``api``, ``notebooks``,
``benchmarks``):

- ``notebooks/``: copies of the committed notebooks in the repository's ``notebooks/``, rendered
  by myst-nb from their saved outputs and never executed; the benchmark tables the notebooks link
  to are copied beside them (``benchmarks/results/``) so those links work.
- ``api/``: one page per public module, listing its ``__all__``; ``sphinx.ext.autosummary`` then
  writes one page per public name, filled by ``autodoc`` from the numpydoc docstrings.

The list of modules is read from the package itself (every non-private module or subpackage of
``deepclust_lab`` that declares ``__all__``), so a new module shows up without editing this file.
Nothing here needs the network: no intersphinx, no external theme, no downloads.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import re
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("KERAS_BACKEND", "jax")
os.environ.setdefault("MPLBACKEND", "Agg")  # importing the plotting helpers opens no window

import deepclust_lab  # noqa: E402  (needs the path and backend set above)

project = "deepclust-lab"
author = "The deepclust-lab developers"
copyright = f"2026, {author} (MIT licence)"
release = version = deepclust_lab.__version__

extensions = [
    "myst_nb",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
]
templates_path = ["_templates"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
html_theme = "alabaster"
html_title = f"deepclust-lab {release}"
html_static_path: list[str] = []
html_theme_options = {"description": "clustering + deep learning, in notebooks", "nosidebar": False}

# ---- notebooks (myst-nb) ------------------------------------------------------------------------
nb_execution_mode = "off"  # render the outputs saved in the committed notebooks, run nothing
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
# No widget JavaScript from a CDN: a widget shows its static fallback (PNG / HTML / text) instead.
nb_ipywidgets_js: dict[str, dict[str, str]] = {}
nb_mime_priority_overrides = [
    (builder, "application/vnd.jupyter.widget-view+json", None)
    for builder in ("html", "dirhtml", "singlehtml")
]

# ---- API reference (autodoc + autosummary + numpydoc) -------------------------------------------
autosummary_generate = True
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "signature"
# A method overriding Keras' (``on_epoch_end``) would otherwise show Keras' Google-style docstring.
autodoc_inherit_docstrings = False
numpydoc_show_class_members = False  # the class template lists the members itself
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False


def public_modules() -> list[str]:
    """``deepclust_lab`` and each of its public modules that lists its names in ``__all__``."""
    names = ["deepclust_lab"]
    for info in sorted(pkgutil.iter_modules(deepclust_lab.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"deepclust_lab.{info.name}")
        if getattr(module, "__all__", None):
            names.append(module.__name__)
    return names


def public_names(module_name: str) -> list[str]:
    """The names in a module's ``__all__``, in its own order."""
    return list(importlib.import_module(module_name).__all__)


def _write_if_changed(path: Path, text: str) -> None:
    # Unchanged sources keep their time stamps, so a second `make docs` rebuilds nothing.
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _sync_folder(source: Path, pattern: str, target: Path) -> list[Path]:
    """Copy ``source/pattern`` into ``target`` (changed files only), dropping stale copies."""
    target.mkdir(parents=True, exist_ok=True)
    wanted = sorted(source.glob(pattern))
    for stale in set(target.glob(pattern)) - {target / p.name for p in wanted}:
        stale.unlink()
    for src in wanted:
        dst = target / src.name
        if not dst.exists() or dst.read_bytes() != src.read_bytes():
            shutil.copyfile(src, dst)
    return wanted


def _heading(text: str, underline: str = "=") -> str:
    return f"{text}\n{underline * len(text)}\n"


def write_api_sources(api_dir: Path) -> None:
    """``api/index.rst`` and one ``api/<module>.rst`` per public module."""
    modules = public_modules()
    module_pages = {f"{m}.rst" for m in modules}
    name_pages = {f"{m}.{n}.rst" for m in modules for n in public_names(m)}
    if module_pages & name_pages:  # autosummary would write a name's page over the module's
        raise ValueError(f"a public name is also a module's name: {sorted(module_pages & name_pages)}")
    pages = module_pages | name_pages
    for stale in api_dir.glob("deepclust_lab*.rst"):
        if stale.name not in pages:
            stale.unlink()  # a module or a name that is gone
    index = [
        ".. Generated by docs/conf.py from the package's __all__ lists: do not edit.\n",
        _heading("API reference"),
        "One page per public module, and from there one page per public name. The package",
        "itself re-exports what a notebook needs; each module lists the rest.\n",
        ".. toctree::",
        "   :maxdepth: 1\n",
        *(f"   {m}" for m in modules),
        "",
    ]
    _write_if_changed(api_dir / "index.rst", "\n".join(index))
    for module in modules:
        lines = [
            ".. Generated by docs/conf.py from the module's __all__: do not edit.\n",
            _heading(f"``{module}``"),
            f".. automodule:: {module}",
            "   :no-members:\n",
            ".. rubric:: Public names\n",
            ".. autosummary::",
            "   :toctree: .",
            "   :nosignatures:\n",
            *(f"   {name}" for name in public_names(module)),
            "",
        ]
        _write_if_changed(api_dir / f"{module}.rst", "\n".join(lines))


def write_notebook_sources(docs: Path) -> None:
    """Copies of the committed notebooks and of the benchmark tables they link to."""
    _sync_folder(ROOT / "notebooks", "[0-9][0-9]_*.ipynb", docs / "notebooks")
    _sync_folder(ROOT / "benchmarks" / "results", "*.md", docs / "benchmarks" / "results")


# ---- docstring fixes that belong to the site, not to the package --------------------------------
_PARAM_LINE = re.compile(r"^(\s*[\w*]+(?:\s*,\s*[\w*]+)* : )(.+)$")
_BARE_STAR = re.compile(r"(?<![\\*\w`])\*(?=[A-Za-z_])")


def _drop_type_docstring(app, what, name, obj, options, lines) -> None:
    """A constant without a doc comment would show its type's docstring (``tuple``, ``str``)."""
    if what not in ("data", "attribute") or not lines:
        return
    type_doc = getattr(type(obj), "__doc__", None)
    if isinstance(type_doc, str) and "\n".join(lines).strip() == inspect.cleandoc(type_doc).strip():
        lines.clear()


def _escape_star_in_types(app, what, name, obj, options, lines) -> None:
    """``x : array of shape (n, *image_shape)``: in a numpydoc type, ``*`` is text, not emphasis."""
    for i, line in enumerate(lines):
        match = _PARAM_LINE.match(line)
        if match:
            lines[i] = match.group(1) + _BARE_STAR.sub(r"\\*", match.group(2))


def setup(app) -> None:
    # Before numpydoc (priority 500), which turns the sections into reST.
    app.connect("autodoc-process-docstring", _drop_type_docstring, priority=400)
    app.connect("autodoc-process-docstring", _escape_star_in_types, priority=400)


write_api_sources(DOCS / "api")
write_notebook_sources(DOCS)
