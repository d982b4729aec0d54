"""Sphinx configuration for the skmlp documentation.

Build (from the repository root)::

    sphinx-build -W --keep-going -b html docs docs/_build/html

or run ``bash .ci/docs``, which does it in a fresh virtualenv.
"""

import os
import re
import sys
from pathlib import Path

DOCS_DIR = Path(__file__).resolve().parent
REPO_ROOT = DOCS_DIR.parent

# Import skmlp from the checkout when it is not installed (an editable install
# via ``pip install -e ".[docs]"`` makes this a no-op).
sys.path.insert(0, str(REPO_ROOT))

# The reference page of the ``skmlp`` command (cli.rst) is generated from
# the command's own argument parser, so it cannot fall behind ``--help``.
sys.path.insert(0, str(DOCS_DIR))
import make_cli_page  # noqa: E402

make_cli_page.write()

# -- Project information -----------------------------------------------------

project = "skmlp"
author = "The skmlp developers"
copyright = author  # noqa: A001

try:
    from importlib.metadata import version as _pkg_version

    release = _pkg_version("skmlp")
except Exception:  # not installed: fall back to the package itself
    try:
        import skmlp

        release = getattr(skmlp, "__version__", "unknown")
    except Exception:
        release = "unknown"
version = ".".join(release.split(".")[:2])

# -- General configuration ---------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    # sphinx.ext.intersphinx is deliberately left out: the build machines have
    # no internet access, so the inventories cannot be fetched and every build
    # would warn (which -W turns into a failure).
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
root_doc = "index"
default_role = "literal"
language = "en"

# -- autodoc / autosummary / numpydoc ----------------------------------------

autosummary_generate = True
autodoc_typehints = "none"  # numpydoc docstrings already describe the types

numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# Members inherited from scikit-learn (get_params, score, set_fit_request, ...)
# have docstrings that cross-reference labels and glossary terms of
# scikit-learn's own documentation (:ref:`metadata_routing`,
# :term:`meta-estimator`, ...).  Without intersphinx those cannot resolve and
# each one is a warning, so in docstrings of objects defined by scikit-learn
# such :ref:, :term: and :doc: roles are rendered as plain text.
_SKLEARN_ROLE = re.compile(r":(?:ref|term|doc):`([^`<]*?)\s*(?:<[^`>]*>)?`")


def _plain_sklearn_roles(app, what, name, obj, options, lines):
    module = getattr(obj, "__module__", None) or ""
    if not (module == "sklearn" or module.startswith("sklearn.")):
        return
    lines[:] = [_SKLEARN_ROLE.sub(r"\1", line) for line in lines]


def setup(app):
    # Priority below the default 500 so this runs before numpydoc's handler.
    app.connect("autodoc-process-docstring", _plain_sklearn_roles, priority=400)


# -- sphinx-gallery ----------------------------------------------------------

# The gallery source is the repository's ``examples/`` folder, which must hold
# a ``README.txt`` (the gallery header).  Only ``plot_*.py`` files are
# executed; every other ``*.py`` is rendered without running it.
# SKMLP_DOCS_EXAMPLES_DIR lets a test build point at another folder.
_examples_dir = os.environ.get("SKMLP_DOCS_EXAMPLES_DIR", "../examples")

# The examples run in this process and train small networks on 3,000 digits,
# whose matrix products gain little from a second BLAS thread; on a machine
# busy with other work, BLAS threads that spin waiting for a core made the
# grid-search example 5x slower (28 s instead of 5 s on 2 cores).  So the
# gallery runs with one BLAS thread unless SKMLP_DOCS_BLAS_THREADS says
# otherwise.  threadpoolctl only limits the libraries already loaded, and
# NumPy and SciPy each bring their own OpenBLAS: import both first.
try:
    import numpy  # noqa: F401
    import scipy.linalg  # noqa: F401
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=int(os.environ.get("SKMLP_DOCS_BLAS_THREADS", "1")))
except ImportError:  # threadpoolctl comes with scikit-learn; just in case
    pass

sphinx_gallery_conf = {
    "examples_dirs": _examples_dir,
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    # A string (not the class) keeps the Sphinx config picklable.
    "within_subsection_order": "sphinx_gallery.sorting.FileNameSortKey",
    "doc_module": ("skmlp",),
    "backreferences_dir": "gen_modules/backreferences",
    "reference_url": {"skmlp": None},
    "download_all_examples": False,
    "remove_config_comments": True,
    "plot_gallery": "True",
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
}

# -- HTML output -------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"skmlp {release}"
html_static_path = ["_static"]
html_show_sourcelink = False
html_theme_options = {
    "navigation_with_keys": False,
    "show_prev_next": False,
    "header_links_before_dropdown": 6,
    "secondary_sidebar_items": ["page-toc"],
}
html_sidebars = {"index": [], "install": []}
