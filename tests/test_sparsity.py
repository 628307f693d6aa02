"""Sparse and overcomplete codes (the sparsity parameter)."""

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler

from sk_autoencoder import AutoencoderOutlierDetector, AutoencoderTransformer
from sk_autoencoder._skorch import ReconstructionLoss

PARAMS = {"hidden_layer_sizes": (32,), "max_iter": 40, "random_state": 0}


@pytest.fixture(scope="module")
def X():
    return StandardScaler().fit_transform(load_digits().data[:600])


def test_sparsity_adds_the_code_l1_norm_to_the_loss():
    target = torch.zeros(2, 3)
    code = torch.tensor([[1.0, -2.0], [0.0, 3.0]])  # L1 norms 3 and 3
    plain = ReconstructionLoss()((target, code), target).item()
    penalized = ReconstructionLoss(sparsity=0.5)((target, code), target).item()
    assert plain == 0.0
    assert penalized == pytest.approx(0.5 * 3.0)


def test_code_l1_norm_shrinks_as_sparsity_grows(X):
    # code_sparsity_ (entries below 1e-3) stays under 1 % at every sparsity
    # here, and its order over the three fits follows the rounding of the
    # fits, not the penalty: the L1 norm is what the penalty reliably moves.
    fits = [
        AutoencoderTransformer(16, sparsity=s, **PARAMS).fit(X) for s in (0.0, 0.1, 1.0)
    ]
    l1 = [np.abs(ae.transform(X)).sum(axis=1).mean() for ae in fits]
    assert l1[0] > 2 * l1[1] > 2 * l1[2]


def test_overcomplete_code_is_refused_without_sparsity(X):
    ae = AutoencoderTransformer(80, **PARAMS)
    with pytest.raises(ValueError, match=r"n_components=80 .* Set sparsity > 0"):
        ae.fit(X)
    assert not hasattr(ae, "net_")


def test_overcomplete_code_is_refused_where_sparsity_is_no_parameter(X):
    detector = AutoencoderOutlierDetector(80, **PARAMS)
    with pytest.raises(ValueError, match=r"n_components=80 .* Lower n_components"):
        detector.fit(X)


def test_overcomplete_code_is_accepted_with_sparsity(X):
    ae = AutoencoderTransformer(80, sparsity=1e-2, **{**PARAMS, "max_iter": 5}).fit(X)
    assert ae.transform(X[:5]).shape == (5, 80)
    assert ae.inverse_transform(ae.transform(X[:5])).shape == (5, 64)
    assert 0.0 <= ae.code_sparsity_ <= 1.0
