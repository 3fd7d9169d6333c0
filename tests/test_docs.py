"""The documentation: docstrings' examples run, every public name is documented, the site builds.

- every ``>>>`` example in the package's docstrings runs as a doctest (one test per module),
  so that the single ``pytest`` command of the README covers them;
- every public class and function has a numpydoc docstring with Parameters, Returns (or
  Attributes for a class) and Examples sections;
- ``sphinx-build -W`` (warnings are errors) builds the site from a clean copy of ``docs/``
  and ``examples/``, executing the gallery (slow: about a minute of CPU).
"""

import doctest
import importlib
import inspect
import os
import pkgutil
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import sklearn_mgc

ROOT = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------------------
# doctests
# --------------------------------------------------------------------------------------
def _package_modules():
    names = ["sklearn_mgc"]
    for info in pkgutil.walk_packages(sklearn_mgc.__path__, prefix="sklearn_mgc."):
        if info.name.rsplit(".", 1)[-1] == "__main__":  # importing it would run the command
            continue
        names.append(info.name)
    return sorted(names)


MODULES = _package_modules()


@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples(module_name, monkeypatch, tmp_path):
    monkeypatch.setenv("MPLBACKEND", "agg")
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    module = importlib.import_module(module_name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    tests = [t for t in finder.find(module, module_name) if t.examples]
    if not tests:
        pytest.skip(f"{module_name} has no docstring examples")
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False
    )
    report = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for test in tests:
            runner.run(test, out=report.append)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, "".join(report)
    assert result.attempted > 0


def test_every_module_is_searched_for_doctests():
    # the lazily imported public names are documented in modules the walk reaches
    for name in sklearn_mgc.__all__:
        if name == "__version__":
            continue
        assert getattr(sklearn_mgc, name).__module__ in MODULES, name


# --------------------------------------------------------------------------------------
# numpydoc sections of every public name
# --------------------------------------------------------------------------------------
# the base classes for writing a new representation or network, and the shared attention layer
BASES = [
    ("sklearn_mgc.features", "BaseFeatures"),
    ("sklearn_mgc.features", "PretrainedFeatures"),
    ("sklearn_mgc.networks", "BaseNetClassifier"),
    ("sklearn_mgc.networks", "AttentionPooling"),
]


def _public_names():
    names = [("sklearn_mgc", n) for n in sklearn_mgc.__all__ if n != "__version__"] + BASES
    for module_name in (
        "sklearn_mgc.datasets",
        "sklearn_mgc.plotting",
        "sklearn_mgc.audio",
        "sklearn_mgc.study",
        "sklearn_mgc.persistence",
    ):
        module = importlib.import_module(module_name)
        for name in module.__all__:
            if callable(getattr(module, name)):  # constants (GENRES...) have no sections
                names.append((module_name, name))
    return names


def _params():
    return [pytest.param(m, n, id=f"{m}.{n}") for m, n in _public_names()]


@pytest.mark.parametrize("module_name, name", _params())
def test_public_name_has_numpydoc_sections(module_name, name):
    from numpydoc.docscrape import ClassDoc, FunctionDoc

    obj = getattr(importlib.import_module(module_name), name)
    assert inspect.getdoc(obj), f"{module_name}.{name} has no docstring"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpydoc warns about unknown or malformed sections
        if inspect.isclass(obj):
            doc = ClassDoc(obj, config={"show_class_members": False})
            required = ("Parameters", "Attributes", "Examples")
        else:
            doc = FunctionDoc(obj)
            required = ("Parameters", "Returns", "Examples")
    missing = [section for section in required if not doc[section]]
    if not inspect.isclass(obj) and "Returns" in missing and doc["Yields"]:
        missing.remove("Returns")
    assert not missing, f"{module_name}.{name}: the docstring has no {', '.join(missing)} section"
    assert doc["Summary"], f"{module_name}.{name}: the docstring has no summary line"
    # every documented parameter exists in the signature, and the reverse
    if not inspect.isclass(obj) or obj.__init__ is not object.__init__:
        target = obj.__init__ if inspect.isclass(obj) else obj
        signature = [
            p.name
            for p in inspect.signature(target).parameters.values()
            if p.name not in ("self", "cls") and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        ]
        documented = set()
        for param in doc["Parameters"]:
            for part in param.name.replace("*", "").split(","):
                documented.add(part.strip())
        undocumented = [p for p in signature if p not in documented]
        assert not undocumented, (
            f"{module_name}.{name}: parameters {undocumented} are not documented"
        )


def _api_reference_entries():
    """``module.name`` of every autosummary entry of docs/api.rst."""
    import re

    entries, module, in_autosummary = set(), None, False
    for line in (ROOT / "docs" / "api.rst").read_text().splitlines():
        if line.startswith(".. currentmodule::"):
            module = line.split("::", 1)[1].strip()
        elif line.startswith(".. autosummary::"):
            in_autosummary = True
        elif in_autosummary and re.fullmatch(r"   [A-Za-z_][\w.]*", line):
            entries.add(f"{module}.{line.strip()}")
        elif line and not line.startswith(" "):
            in_autosummary = False
    return entries


def test_api_reference_lists_every_public_name():
    listed = _api_reference_entries()
    missing = [f"{m}.{n}" for m, n in _public_names() if f"{m}.{n}" not in listed]
    assert not missing, f"public names missing from docs/api.rst: {missing}"


# --------------------------------------------------------------------------------------
# the Sphinx build, with the executed gallery
# --------------------------------------------------------------------------------------
_GENERATED = ("_build", "auto_examples", "generated", "backreferences", "sg_execution_times.rst")


@pytest.mark.slow
def test_sphinx_build_with_gallery(tmp_path):
    pytest.importorskip("sphinx")
    pytest.importorskip("sphinx_gallery")
    pytest.importorskip("numpydoc")
    pytest.importorskip("pydata_sphinx_theme")
    # a clean copy of the sources, as in a fresh checkout: nothing generated by earlier builds
    src = tmp_path / "src"
    shutil.copytree(ROOT / "docs", src / "docs", ignore=shutil.ignore_patterns(*_GENERATED))
    shutil.copytree(
        ROOT / "examples", src / "examples", ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    out = tmp_path / "html"
    env = dict(
        os.environ,
        MPLBACKEND="agg",
        OMP_NUM_THREADS="1",
        PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-b",
            "html",
            "-q",
            str(src / "docs"),
            str(out),
        ],
        cwd=src,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert proc.returncode == 0, (
        f"sphinx-build failed:\n{proc.stdout[-5000:]}\n{proc.stderr[-10000:]}"
    )

    for page in ("index", "getting_started", "user_guide", "api", "auto_examples/index"):
        assert (out / f"{page}.html").is_file(), page
    # every example ran and drew its figures, and has its page
    examples = sorted(p.stem for p in (ROOT / "examples").glob("plot_*.py"))
    assert len(examples) >= 9
    for name in examples:
        assert (out / "auto_examples" / f"{name}.html").is_file(), name
    images = {p.name for p in (out / "_images").glob("sphx_glr_plot_*.png")}
    for name in examples:
        if name != "plot_pretrained_embeddings":  # this one prints only
            assert f"sphx_glr_{name}_001.png" in images, f"{name} drew no figure"
    # an API page for every public name of the package
    for name in sklearn_mgc.__all__:
        if name != "__version__":
            page = out / "generated" / f"sklearn_mgc.{name}.html"
            assert page.is_file(), f"no API page for sklearn_mgc.{name}: add it to docs/api.rst"
    for module_name, name in _public_names():
        if module_name != "sklearn_mgc" and inspect.isfunction(
            getattr(importlib.import_module(module_name), name)
        ):
            page = out / "generated" / f"{module_name}.{name}.html"
            assert page.is_file(), f"no API page for {module_name}.{name}: add it to docs/api.rst"
