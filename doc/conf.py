"""Sphinx configuration of the sk-autoencoder documentation site.

Build it from the repository's root with::

    python -m sphinx -W --keep-going -b html doc doc/_build/html

The build is offline: nothing is fetched (no intersphinx), and the gallery
runs every ``examples/plot_*.py`` script.
"""

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).parent))  # for "conf.GalleryOrder"

import sk_autoencoder  # noqa: E402

project = "sk-autoencoder"
author = "The sk-autoencoder developers"
copyright = "2026, the sk-autoencoder developers"
version = release = sk_autoencoder.__version__

extensions = [
    "myst_parser",
    "sphinx_design",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
templates_path = ["_templates"]

# -- API pages ---------------------------------------------------------------
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"
# numpydoc renders the parameters and attributes; autosummary's class template
# lists the methods, so numpydoc does not add a second table of members.
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# -- Markdown pages ----------------------------------------------------------
myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3


# -- The gallery -------------------------------------------------------------
class GalleryOrder:
    """The quickstart first, then the examples in the user guide's order."""

    ORDER = (
        "quickstart",
        "plot_embedding",
        "plot_choosing_size",
        "plot_loss_curve",
        "plot_compression",
        "plot_roc_curves",
        "plot_time_series_anomalies",
        "plot_denoising",
        "plot_inpainting",
    )

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        stem = Path(filename).stem
        rank = self.ORDER.index(stem) if stem in self.ORDER else len(self.ORDER)
        return (rank, stem)


sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    # quickstart.py is the README's first command; the rest are plot_*.py.
    "filename_pattern": r"(plot_.*|quickstart)\.py$",
    "ignore_pattern": r"__init__\.py",
    "download_all_examples": False,
    "doc_module": ("sk_autoencoder",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"sk_autoencoder": None},
    "within_subsection_order": "conf.GalleryOrder",
    "remove_config_comments": True,
    # Re-running an unchanged example is skipped (checksums under auto_examples).
    "run_stale_examples": False,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "show_memory": False,
}

# -- HTML --------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sk-autoencoder {release}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_theme_options = {
    "navbar_align": "left",
    "header_links_before_dropdown": 5,
    "navbar_persistent": ["search-button"],
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "getting_started": [], "quality": [], "changelog": []}
html_show_sourcelink = False
# The page's table of contents names a method ``fit``, not ``Class.fit``.
toc_object_entries_show_parents = "hide"

# Threads: the examples fix torch's thread count themselves; keep BLAS quiet.
os.environ.setdefault("OMP_NUM_THREADS", "2")


# -- Benchmark results as pages ----------------------------------------------
# The Markdown pages link to ../benchmarks/results/*.md, which a code host
# renders beside them. Sphinx reads only files under doc/, so the results are
# copied into doc/benchmark_results/ (not committed) and the links rewritten.
RESULTS = ROOT / "benchmarks" / "results"
RESULTS_PAGES = Path(__file__).parent / "benchmark_results"


def _copy_benchmark_results():
    RESULTS_PAGES.mkdir(exist_ok=True)
    names = sorted(path.name for path in RESULTS.glob("*.md"))
    for name in names:
        text = (RESULTS / name).read_text(encoding="utf-8")
        (RESULTS_PAGES / name).write_text(text, encoding="utf-8")
    listing = "\n".join(f"{name[:-3]}" for name in names)
    (RESULTS_PAGES / "index.md").write_text(
        "# Benchmark results\n\n"
        "Each table is headed by the command and the versions that made it.\n\n"
        f"```{{toctree}}\n:maxdepth: 1\n\n{listing}\n```\n",
        encoding="utf-8",
    )


_copy_benchmark_results()

_RESULTS_LINK = re.compile(r"\]\(\.\./benchmarks(?:/results)?/?([^)]*)\)")


def _link_results_pages(app, docname, source):
    """Point links to ``../benchmarks/results/*.md`` at the copied pages."""

    def replace(match):
        target = match.group(1) or "index.md"
        depth = docname.count("/")
        return f"]({'../' * depth}benchmark_results/{target})"

    source[0] = _RESULTS_LINK.sub(replace, source[0])


# -- Docstrings inherited from scikit-learn ----------------------------------
# set_output and get_metadata_routing come from scikit-learn, whose docstrings
# reference labels of scikit-learn's own site; this build is offline (no
# intersphinx), so such references become plain text.
_SKLEARN_REF = re.compile(r":ref:`([^`<]+?)\s*(?:<[^`>]+>)?`")


def _unlink_sklearn_refs(app, what, name, obj, options, lines):
    module = getattr(obj, "__module__", "") or ""
    if module.startswith("sklearn"):
        lines[:] = [_SKLEARN_REF.sub(r"\1", line) for line in lines]


def setup(app):
    app.connect("source-read", _link_results_pages)
    app.connect("autodoc-process-docstring", _unlink_sklearn_refs)
