"""numpydoc validation of the public API, as scikit-learn and
imbalanced-learn run it on theirs."""

import inspect
import re
from pathlib import Path

import pytest
from sklearn.base import BaseEstimator

import sk_autoencoder
import sk_autoencoder.onnx
import sk_autoencoder.persistence

numpydoc_validation = pytest.importorskip("numpydoc.validate")

# Checks scikit-learn's own docstring test leaves out for methods: an
# extended summary, See Also and Examples on every method, and the
# "self : object" return style that numpydoc reads as a missing type.
METHOD_IGNORE = {"ES01", "SA01", "EX01", "RT02", "GL08"}


def public_objects():
    for class_name in sk_autoencoder.__all__:
        cls = getattr(sk_autoencoder, class_name)
        yield f"sk_autoencoder.{class_name}", set()
        for name, member in inspect.getmembers(cls):
            if name.startswith("_") or not callable(member):
                continue
            if not (inspect.isfunction(member) or inspect.ismethod(member)):
                continue
            yield f"sk_autoencoder.{class_name}.{name}", METHOD_IGNORE
    # Modules of public functions, importable without their extras.
    for module in (sk_autoencoder.onnx, sk_autoencoder.persistence):
        for name in module.__all__:
            yield f"{module.__name__}.{name}", set()


@pytest.mark.parametrize(("name", "ignore"), list(public_objects()))
def test_docstring_follows_numpydoc(name, ignore):
    errors = [
        f"{code}: {message}"
        for code, message in numpydoc_validation.validate(name)["errors"]
        if code not in ignore
    ]
    assert not errors, "\n".join(errors)


ESTIMATORS = [
    name
    for name in sk_autoencoder.__all__
    if inspect.isclass(cls := getattr(sk_autoencoder, name))
    and issubclass(cls, BaseEstimator)
]


@pytest.mark.parametrize("class_name", ESTIMATORS)
def test_html_diagram_links_to_the_estimators_api_page(class_name):
    estimator = getattr(sk_autoencoder, class_name)()
    link = estimator._get_doc_link()
    assert link.endswith(f"/generated/sk_autoencoder.{class_name}.html")
    assert f'href="{link}"' in estimator._repr_html_()
    # The page the link names is one doc/api.rst generates.
    api = (Path(__file__).resolve().parents[1] / "doc" / "api.rst").read_text()
    assert re.search(rf"^ +{class_name}$", api, flags=re.MULTILINE)
