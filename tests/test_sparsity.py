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


def test_codes_get_sparser_as_sparsity_grows(X):
    fits = [
        AutoencoderTransformer(16, sparsity=s, **PARAMS).fit(X) for s in (0.0, 0.1, 1.0)
    ]
    l1 = [np.abs(ae.transform(X)).sum(axis=1).mean() for ae in fits]
    near_zero = [ae.code_sparsity_ for ae in fits]
    assert l1[0] > l1[1] > l1[2]
    assert near_zero[0] <= near_zero[1] <= near_zero[2]
    assert near_zero[2] > near_zero[0]


def test_overcomplete_code_is_refused_without_sparsity(X):
    ae = AutoencoderTransformer(80, **PARAMS)
    with pytest.raises(ValueError, match=r"n_components=80 .* Set sparsity > 0"):
        ae.fit(X)
    assert not hasattr(ae, "net_")


@pytest.mark.parametrize(
    "estimator", [AutoencoderTransformer, AutoencoderOutlierDetector]
)
def test_overcomplete_code_is_accepted_with_sparsity(X, estimator):
    ae = estimator(80, sparsity=1e-2, **{**PARAMS, "max_iter": 5}).fit(X)
    assert ae.transform(X[:5]).shape == (5, 80)
    assert ae.inverse_transform(ae.transform(X[:5])).shape == (5, 64)
    assert 0.0 <= ae.code_sparsity_ <= 1.0
