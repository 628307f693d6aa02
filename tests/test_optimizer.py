"""LeanAdam: torch's fused Adam called directly, same updates as the stock one."""

import pickle
from copy import deepcopy

import numpy as np
import pytest
import torch
from numpy.testing import assert_array_equal
from skorch.callbacks import Callback
from torch import nn
from torch.nn import functional as F
from torch.optim.optimizer import register_optimizer_step_post_hook

from sk_autoencoder import AutoencoderTransformer
from sk_autoencoder._network import MLPAutoencoder
from sk_autoencoder._training import LeanAdam, _plain_adam

X = torch.randn(256, 8, generator=torch.Generator().manual_seed(0))


def network():
    torch.manual_seed(0)
    return MLPAutoencoder(8, 3, (16,))


def train(net, optimizer, steps=20, extra_loss=None):
    for step in range(steps):
        batch = X[(step * 32) % 256 :][:32]

        def closure(batch=batch, step=step):
            optimizer.zero_grad()
            loss = F.mse_loss(net(batch)[0], batch)
            if extra_loss is not None:
                loss = loss + extra_loss(net, step)
            loss.backward()
            return loss

        optimizer.step(closure)
    return [param.detach().clone() for param in net.parameters()]


def assert_same(first, second):
    assert all(torch.equal(a, b) for a, b in zip(first, second, strict=True))


@pytest.mark.parametrize("weight_decay", [0.0, 1e-2])
def test_lean_adam_updates_exactly_as_fused_adam(weight_decay):
    params = {"lr": 1e-2, "betas": (0.8, 0.99), "eps": 1e-6}
    params["weight_decay"] = weight_decay
    stock_net, lean_net = network(), network()
    stock = torch.optim.Adam(stock_net.parameters(), fused=True, **params)
    lean = LeanAdam(lean_net.parameters(), **params)
    assert_same(train(stock_net, stock), train(lean_net, lean))
    assert lean._direct is not None  # the direct call did run


def test_lean_adam_follows_learning_rate_changes():
    net = network()
    optimizer = LeanAdam(net.parameters(), lr=1e-2)
    train(net, optimizer, steps=2)
    optimizer.param_groups[0]["lr"] = 0.0  # as an LR scheduler would
    before = [param.detach().clone() for param in net.parameters()]
    assert_same(before, train(net, optimizer, steps=3))


def test_lean_adam_state_dict_resumes_training_exactly():
    net, copy = network(), network()
    optimizer = LeanAdam(net.parameters(), lr=1e-2)
    train(net, optimizer, steps=5)
    copy.load_state_dict(net.state_dict())
    resumed = LeanAdam(copy.parameters(), lr=1e-2)
    # A deep copy, as a checkpoint on disk is: load_state_dict keeps the
    # state's tensors, which the original optimizer updates in place.
    resumed.load_state_dict(deepcopy(optimizer.state_dict()))
    assert_same(train(net, optimizer), train(copy, resumed))


def with_extra_layer():
    net = network()
    net.extra = nn.Linear(2, 2)
    return net


def stock_and_lean(lr=1e-2, **params):
    stock_net, lean_net = with_extra_layer(), with_extra_layer()
    stock = torch.optim.Adam(stock_net.parameters(), lr=lr, fused=True, **params)
    lean = LeanAdam(lean_net.parameters(), lr=lr, **params)
    return (stock_net, stock), (lean_net, lean)


def test_lean_adam_skips_parameters_without_gradient_as_adam_does():
    (stock_net, stock), (lean_net, lean) = stock_and_lean()
    assert_same(train(stock_net, stock), train(lean_net, lean))
    assert lean_net.extra.weight.grad is None
    assert lean._direct is not None  # the unused layer did not stop the direct call


def test_lean_adam_follows_parameters_used_on_some_steps_only():
    def sometimes(net, step):
        return net.extra.weight.sum() if step % 3 == 2 else 0.0

    (stock_net, stock), (lean_net, lean) = stock_and_lean()
    expected = train(stock_net, stock, extra_loss=sometimes)
    assert_same(expected, train(lean_net, lean, extra_loss=sometimes))


@pytest.mark.parametrize(
    ("flag", "value"),
    [("maximize", True), ("decoupled_weight_decay", True), ("lr", torch.tensor(0.02))],
)
def test_lean_adam_follows_changes_to_the_parameter_group(flag, value):
    (stock_net, stock), (lean_net, lean) = stock_and_lean(weight_decay=0.1)
    for net, optimizer in ((stock_net, stock), (lean_net, lean)):
        train(net, optimizer, steps=3)
        optimizer.param_groups[0][flag] = value  # as set_params would
    assert_same(train(stock_net, stock), train(lean_net, lean))


def test_lean_adam_honours_a_gradient_scaler():
    def scaled_training(net, optimizer):
        scaler = torch.amp.GradScaler("cpu", init_scale=1024.0)
        for step in range(8):
            optimizer.zero_grad()
            batch = X[32 * step :][:32]
            loss = F.mse_loss(net(batch)[0], batch)
            if step == 4:
                loss = loss * float("inf")  # an overflow: this step is skipped
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        return [param.detach().clone() for param in net.parameters()]

    (stock_net, stock), (lean_net, lean) = stock_and_lean()
    assert_same(scaled_training(stock_net, stock), scaled_training(lean_net, lean))
    assert all(torch.isfinite(param).all() for param in lean_net.parameters())


def test_groups_without_decoupled_weight_decay_count_as_plain_adam():
    # Adam's parameter groups have no such key before torch 2.7.
    group = {"lr": 1e-3, "betas": (0.9, 0.999), "amsgrad": False, "maximize": False}
    assert _plain_adam(group)
    assert not _plain_adam({**group, "amsgrad": True})


def test_fit_trains_inside_an_outer_no_grad_block():
    data = np.random.default_rng(0).normal(size=(50, 4))
    params = {"hidden_layer_sizes": (8,), "max_iter": 2, "random_state": 0}
    expected = AutoencoderTransformer(2, **params).fit(data).transform(data)
    with torch.no_grad():
        ae = AutoencoderTransformer(2, **params).fit(data)
    assert_array_equal(ae.transform(data), expected)


def test_estimators_train_with_lean_adam_and_resume_after_pickling():
    rng = np.random.default_rng(0)
    data = rng.normal(size=(200, 5))
    params = {"hidden_layer_sizes": (8,), "max_iter": 3, "random_state": 0}
    ae = AutoencoderTransformer(2, **params).fit(data)
    assert isinstance(ae.net_.optimizer_, LeanAdam)
    restored = pickle.loads(pickle.dumps(ae))
    assert_array_equal(
        restored.partial_fit(data).transform(data), ae.partial_fit(data).transform(data)
    )


def test_lean_adam_runs_step_hooks():
    net = network()
    optimizer = LeanAdam(net.parameters(), lr=1e-2)
    calls = []
    optimizer.register_step_pre_hook(lambda *args: calls.append("pre"))
    optimizer.register_step_post_hook(lambda *args: calls.append("post"))
    handle = register_optimizer_step_post_hook(lambda *args: calls.append("global"))
    try:
        train(net, optimizer, steps=2)
    finally:
        handle.remove()
    assert calls == ["pre", "post", "global"] * 2


def test_lean_adam_state_continues_in_torch_adam_exactly():
    lean_net, stock_net = network(), network()
    lean = LeanAdam(lean_net.parameters(), lr=1e-2)
    train(lean_net, lean, steps=5)
    assert all(state["step"].item() == 5 for state in lean.state.values())
    stock_net.load_state_dict(lean_net.state_dict())
    stock = torch.optim.Adam(stock_net.parameters(), lr=1e-2, fused=True)
    stock.load_state_dict(deepcopy(lean.state_dict()))
    assert_same(train(lean_net, lean), train(stock_net, stock))


def test_training_steps_notify_callbacks_of_every_batch():
    class Record(Callback):
        def initialize(self):
            self.events = []
            return self

        def on_batch_begin(self, net, batch=None, training=None, **kwargs):
            self.events.append(("begin", training))

        def on_grad_computed(self, net, named_parameters, **kwargs):
            grads = [param.grad for _, param in named_parameters]
            self.events.append(("grad", all(g is not None for g in grads)))

        def on_batch_end(self, net, batch=None, training=None, **kwargs):
            self.events.append(("end", training))

    data = np.random.default_rng(0).normal(size=(40, 5))
    ae = AutoencoderTransformer(
        2, batch_size=20, max_iter=1, early_stopping=False, callbacks=[Record()]
    ).fit(data)
    events = dict(ae.net_.callbacks_)["Record"].events
    assert events == [("begin", True), ("grad", True), ("end", True)] * 2
