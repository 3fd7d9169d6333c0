"""Sphinx configuration of the sklearn_mgc documentation.

Build with ``sphinx-build -W -b html docs docs/_build/html`` (the gallery in ``examples/``
is executed by sphinx-gallery; ``tests/test_docs.py`` runs the same build).
"""

import os
import re
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # document this checkout even when it is not installed

import sklearn_mgc

project = "sklearn_mgc"
author = "The sklearn_mgc developers"
copyright = "2026, The sklearn_mgc developers"
version = release = sklearn_mgc.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py", "**.zip", "**.md5"]
root_doc = "index"

# -- autodoc / autosummary / numpydoc --------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_typehints = "none"
numpydoc_show_class_members = False  # the class template lists the methods
numpydoc_class_members_toctree = False
numpydoc_validation_checks = set()
add_module_names = False

# -- sphinx-gallery --------------------------------------------------------------------
# The examples run on the synthetic data of make_genre_clips, on the CPU, in seconds each.
os.environ.setdefault("MPLBACKEND", "agg")
# One torch / BLAS thread: the small networks of the gallery gain nothing from more, and on a
# busy machine two spinning OpenMP threads per process can slow them down a hundredfold.
os.environ.setdefault("OMP_NUM_THREADS", "1")
warnings.filterwarnings(
    "ignore", category=UserWarning, message=".*Matplotlib is currently using agg.*"
)

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "abort_on_example_error": True,
    "only_warn_on_example_error": False,
    "remove_config_comments": True,
    "download_all_examples": False,
    "plot_gallery": "True",
    "within_subsection_order": "FileNameSortKey",
    "show_memory": False,
    "min_reported_time": 0,
    "capture_repr": ("_repr_html_", "__repr__"),
    "matplotlib_animations": False,
    "doc_module": ("sklearn_mgc",),
    "backreferences_dir": "backreferences",
    "inspect_global_variables": False,
}

# -- HTML ------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sklearn_mgc {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_static_path = []
html_show_sourcelink = False


# -- only document what sklearn_mgc defines --------------------------------------------
def _skip_foreign_members(app, what, name, obj, skip, options):
    """Skip members a class inherits from scikit-learn (get_params, set_output, ...)."""
    if what != "class" or skip:
        return None
    func = getattr(obj, "fget", obj)  # properties
    func = getattr(func, "__func__", func)  # classmethods
    module = getattr(func, "__module__", None) or ""
    if not module.startswith("sklearn_mgc"):
        return True
    return None


# In the type line of a parameter or attribute, such as ``feature_names_in_ : ndarray of
# shape (n_features_in_,)``, a name ending in "_" would be read as a reST link target.
_TYPE_LINE = re.compile(r"^(\s*\w+\s+:\s+)(.*)$")
_TRAILING_UNDERSCORE = re.compile(r"(?<![`\w])([A-Za-z]\w*_)(?![`\w])")


def _quote_trailing_underscores(app, what, name, obj, options, lines):
    for i, line in enumerate(lines):
        match = _TYPE_LINE.match(line)
        if match:
            lines[i] = match.group(1) + _TRAILING_UNDERSCORE.sub(r"``\1``", match.group(2))


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign_members)
    # before numpydoc (priority 500) turns the sections into reST
    app.connect("autodoc-process-docstring", _quote_trailing_underscores, priority=400)
