"""The skorch side: the training configuration, the loss, the callbacks and
the factory of the ``NeuralNet`` every estimator holds as ``net_``."""

import math
from copy import deepcopy
from dataclasses import dataclass, field

import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping, PrintLog, ProgressBar
from skorch.helper import predefined_split
from torch import nn

from ._data import BatchIterator, Corruption
from ._network import ResidualMLP

# Names of the callbacks every net holds: those build_net adds, then
# skorch's defaults. A user's callback of the same name would clash.
RESERVED_CALLBACK_NAMES = (
    "stop_on_divergence",
    "early_stopping",
    "weight_average",
    "progress_bar",
    "epoch_timer",
    "train_loss",
    "valid_loss",
    "print_log",
)


# With support_fraction < 1, a row is left out of the loss only where its
# error lies more than this many times the batch's lower-half spread above
# the batch's median (the spread being how far below the median the errors
# below it lie on average, as the detector's "auto" fence measures it):
# rows rebuilt a little worse than the rest are learnt, however many. A
# fixed share left out of every batch locked out whole values of discrete
# data: two of the 24 combinations of three one-hot features, rebuilt worst
# early on, were never learnt and ranked with the anomalies (ROC-AUC
# 0.98, 0.98, 1.00 against 1.00 with the fence). On ADBench the fence cost
# 0.0004 of mean ROC-AUC and of mean AP (factors 3, 5 and 8 cost more; 0
# leaves the quarter out as before: benchmarks/results/adbench_trim_fence_*).
TRIM_FENCE = 2.0


class ReconstructionLoss(nn.Module):
    """Mean squared error of the reconstruction; the module returns (x_hat, z).

    With ``support_fraction < 1`` at least that share of each batch, the
    rows rebuilt best, counts: rows that look like outliers, rebuilt worse
    than the rest by more than a fence (see ``TRIM_FENCE``), are left out,
    so the network does not learn to rebuild them (a trimmed loss). With
    ``sparsity > 0``, ``sparsity`` times the L1 norm of each row's code,
    averaged over the rows, is added. With ``missing``, NaN entries of the
    target (missing values) count for nothing: each row's error is the mean
    over its observed entries.
    """

    def __init__(self, support_fraction=1.0, sparsity=0.0, missing=False):
        super().__init__()
        self.support_fraction = support_fraction
        self.sparsity = sparsity
        self.missing = missing

    def forward(self, y_pred, y_true):
        reconstruction, code = y_pred
        if self.missing or self.support_fraction < 1.0:
            loss = self._row_errors(reconstruction, y_true).mean()
        else:
            # Every entry counts the same: one fused op instead of four (a
            # small network's step is mostly the ops' fixed costs).
            loss = nn.functional.mse_loss(reconstruction, y_true)
        if self.sparsity > 0:
            loss = loss + self.sparsity * code.abs().sum(dim=1).mean()
        return loss

    def _row_errors(self, reconstruction, y_true):
        """Each counted row's mean squared error over its observed entries."""
        if self.missing:
            observed = ~torch.isnan(y_true)
            # NaN targets are replaced before subtracting: a NaN in the
            # masked-out branch would still poison the gradient.
            residual = torch.where(observed, reconstruction - y_true.nan_to_num(), 0.0)
            n_observed = observed.sum(dim=1).clamp(min=1)
            row_errors = (residual**2).sum(dim=1) / n_observed
        else:
            row_errors = torch.mean((reconstruction - y_true) ** 2, dim=1)
        if self.support_fraction < 1.0:
            n_kept = max(1, math.ceil(self.support_fraction * len(row_errors)))
            errors = row_errors.detach()
            ordered = torch.sort(errors).values
            # The lower median, as torch.median takes it.
            median = ordered[(len(ordered) - 1) // 2]
            below = ordered[ordered < median]
            spread = (median - below).mean() if len(below) else 0.0
            fence = torch.maximum(ordered[n_kept - 1], median + TRIM_FENCE * spread)
            row_errors = row_errors[errors <= fence]
        return row_errors


class StopOnDivergence(Callback):
    """Raise a ValueError, naming the fix, when an epoch's loss is not finite.

    Checked once per epoch, not per batch, to keep the training loop lean.
    ``suspect`` names another parameter that can make training diverge,
    such as ``"noise_level (it is 1e+30)"``, or is empty.
    """

    def __init__(self, suspect=""):
        self.suspect = suspect

    def on_epoch_end(self, net, **kwargs):
        loss = net.history[-1, "train_loss"]
        if not math.isfinite(loss):
            also = f", {self.suspect}," if self.suspect else ""
            raise ValueError(
                f"Training diverged: the loss became {loss} in epoch "
                f"{len(net.history)}. Lower learning_rate_init (it is {net.lr})"
                f"{also} or check X for extreme values."
            )


def validation_loss(net, batches):
    """Mean loss of ``net``'s module over the validation ``batches``."""
    net.module_.eval()
    total = 0.0
    with torch.no_grad():
        for x, target in batches:
            x, target = x.to(net.device), target.to(net.device)
            total += net.get_loss(net.module_(x), target).item() * len(x)
    return total / len(batches.dataset)


class EarlyStoppingFromStart(EarlyStopping):
    """skorch's EarlyStopping, with the weights before training as epoch 0.

    The validation loss of the starting weights (the PCA solution) sets the
    bar, so when no epoch beats it by ``threshold`` those weights are
    restored: training never ends worse on held-out rows than it began.
    """

    def __init__(self, valid_batches, **kwargs):
        super().__init__(**kwargs)
        self.valid_batches = valid_batches

    def on_train_begin(self, net, **kwargs):
        super().on_train_begin(net, **kwargs)
        self.start_loss_ = validation_loss(net, self.valid_batches)
        # The bar a later epoch must pass: build_net stops on an absolute
        # improvement of a loss, lower being better.
        self.dynamic_threshold_ = self.start_loss_ - self.threshold
        self.best_model_weights_ = deepcopy(net.module_.state_dict())
        # Kept apart (skorch replaces best_model_weights_ on a better epoch,
        # never changes it in place) for an estimator to start again from;
        # it drops them after fit.
        self.start_weights_ = self.best_model_weights_


# WeightAverage keeps the last moving average of the weights unless its
# validation loss is over this many times the average's at the best epoch:
# then training broke down after that epoch. Chosen on the development
# tables of benchmarks/imputer_breakdown.py: above the drift after the best
# epoch of ordinary fits, below the breakdowns.
BREAKDOWN_RATIO = 2.0


class WeightAverage(Callback):
    """Replace the trained weights with their exponential moving average
    over the epochs.

    After each epoch the average moves ``1 - decay`` of the way to the
    weights (every floating-point entry of the state dict; other entries,
    such as counters, take the latest value). Averaging the weights along
    the path of training smooths out the noise of single steps [1]_.

    When training ends, the last average replaces the weights in place.
    Given ``valid_batches``, two checks on them come first:

    - where the net's ``early_stopping`` callback restores the weights of
      a best epoch (``load_best``; not epoch 0, the start), the last
      average gives way to the average as it stood at that epoch when its
      validation loss is over ``BREAKDOWN_RATIO`` times that one's:
      training broke down in the epochs after the best one (with a long
      patience, hundreds of them, an unstable step among them can spoil
      the average);
    - with ``keep_restored``, the restored weights stay when the average
      does worse than they do, so that training never ends worse on the
      validation rows than early stopping's choice.

    References
    ----------
    .. [1] Polyak, B. T. & Juditsky, A. B. (1992). Acceleration of
       stochastic approximation by averaging. SIAM Journal on Control and
       Optimization, 30(4), 838-855.
    """

    def __init__(self, decay, valid_batches=None, keep_restored=False):
        self.decay = decay
        self.valid_batches = valid_batches
        self.keep_restored = keep_restored

    def on_train_begin(self, net, **kwargs):
        self.average_ = None
        self.best_average_ = None
        self.best_epoch_ = self.last_epoch_ = None

    def on_epoch_end(self, net, **kwargs):
        weights = net.module_.state_dict()
        if self.average_ is None:
            self.average_ = deepcopy(weights)
        else:
            with torch.no_grad():
                for name, average in self.average_.items():
                    if average.is_floating_point():
                        average.lerp_(weights[name], 1.0 - self.decay)
                    else:
                        # Counters (such as batch norm's) are not averaged.
                        average.copy_(weights[name])
        # build_net puts early stopping before this callback, and skorch
        # keeps that order: it has judged this epoch already.
        stopping = dict(net.callbacks_).get("early_stopping")
        self.last_epoch_ = net.history[-1, "epoch"]
        if getattr(stopping, "load_best", False) and (
            stopping.best_epoch_ == self.last_epoch_
        ):
            self.best_epoch_ = self.last_epoch_
            if self.best_average_ is None:
                self.best_average_ = deepcopy(self.average_)
            else:
                with torch.no_grad():
                    for name, average in self.best_average_.items():
                        average.copy_(self.average_[name])

    def on_train_end(self, net, **kwargs):
        average, best_average = self.average_, self.best_average_
        if self.best_epoch_ == self.last_epoch_:
            best_average = None  # the same average
        self.average_ = self.best_average_ = None
        if average is None:
            return
        if self.valid_batches is None:
            net.module_.load_state_dict(average)
            return
        if self.keep_restored:
            restored = deepcopy(net.module_.state_dict())
            restored_loss = validation_loss(net, self.valid_batches)
        net.module_.load_state_dict(average)
        loss = validation_loss(net, self.valid_batches)
        if best_average is not None:
            net.module_.load_state_dict(best_average)
            best_loss = validation_loss(net, self.valid_batches)
            # Written so that a NaN loss of the last average counts as a
            # breakdown; the best epoch's average must have a finite one.
            broke_down = not loss <= BREAKDOWN_RATIO * best_loss
            if broke_down and math.isfinite(best_loss):
                average, loss = best_average, best_loss
        net.module_.load_state_dict(average)
        # Written so that a NaN loss of the average keeps the restored weights.
        if self.keep_restored and not loss <= restored_loss:
            net.module_.load_state_dict(restored)


# The events skorch sends once per batch.
BATCH_EVENTS = ("on_batch_begin", "on_batch_end", "on_grad_computed")


# Adam moves each weight by about the learning rate whatever the size of
# its gradient, so a layer's output moves by about the rate times the
# number of inputs each unit sums. A table network's layer summing more
# than this many trains at the rate times this many over its inputs (as
# the maximal-update parametrization scales Adam's rate), so that its
# output moves no faster than such a layer's at the full rate: at the full
# rate, the imputer of 40 rows of 2,000-3,000 features diverged, and with
# 2,048 in place of this it still did, later; 512 and 256 filled 1,000
# features worse. This many is also the widest hidden layer that
# hidden_layer_sizes="auto" builds for tables. The image networks were
# chosen at the full rate and keep it.
MAX_FULL_RATE_INPUTS = 1024


def _rate_scale(parameter):
    """The factor on the learning rate of a table network's ``parameter``:
    below 1 for a weight each of whose outputs sums more than
    ``MAX_FULL_RATE_INPUTS`` inputs."""
    n_inputs = parameter[0].numel() if parameter.dim() > 1 else 1
    return min(1.0, MAX_FULL_RATE_INPUTS / n_inputs)


class LeanNet(NeuralNet):
    """skorch's ``NeuralNet`` with a lean epoch, and wide layers trained at
    a lower learning rate.

    skorch's epoch sends every callback three events per batch and runs
    each update through a closure; for a small network these fixed costs
    are a sizeable share of the update. When no callback listens to batch
    events (skorch's own callbacks and ours do not; a progress bar does),
    an epoch here is the plain loop: for training, zero the gradients,
    forward, loss, backward, the optimizer's step; for validation, forward
    and loss without gradients. It records the same history, each batch's
    loss and size, and makes the same updates. Otherwise skorch's epoch
    runs.
    """

    def get_params_for_optimizer(self, prefix, named_parameters):
        """skorch's parameter groups, split by the factor on their rate:
        each weight of a table network
        (:class:`~sk_autoencoder._network.ResidualMLP`) that sums more than
        ``MAX_FULL_RATE_INPUTS`` inputs trains at a rate scaled down (see
        ``_rate_scale``). Every group records its factor as
        ``"lr_scale"``, which :meth:`set_learning_rate` keeps."""
        (groups,), kwargs = super().get_params_for_optimizer(prefix, named_parameters)
        scales = {
            id(parameter): _rate_scale(parameter)
            for layer in self.module_.modules()
            if isinstance(layer, ResidualMLP)
            for parameter in layer.parameters()
        }
        split = []
        for group in groups:
            rate = group.get("lr", kwargs["lr"])
            by_scale = {}
            for parameter in group["params"]:
                by_scale.setdefault(scales.get(id(parameter), 1.0), []).append(
                    parameter
                )
            split += [
                {**group, "params": params, "lr": rate * scale, "lr_scale": scale}
                for scale, params in by_scale.items()
            ]
        return (split,), kwargs

    def set_learning_rate(self, rate, factor=1.0):
        """Train at ``rate`` times ``factor``, each parameter group at its
        ``"lr_scale"`` times that (skorch's ``set_params(lr=...)`` would set
        every group's rate to one value). ``lr``, which messages quote as
        the user's ``learning_rate_init``, records ``rate``."""
        self.lr = rate
        for group in self.optimizer_.param_groups:
            group["lr"] = rate * factor * group.get("lr_scale", 1.0)

    def run_single_epoch(self, iterator, training, prefix, step_fn, **fit_params):
        if iterator is None or fit_params or self._batch_listeners():
            return super().run_single_epoch(
                iterator, training, prefix, step_fn, **fit_params
            )
        module, optimizer, criterion = self.module_, self.optimizer_, self.criterion_
        module.train(training)
        n_batches = 0
        with torch.set_grad_enabled(training):
            for x, target in iterator:
                if training:
                    optimizer.zero_grad(set_to_none=True)
                loss = criterion(module(x.to(self.device)), target.to(self.device))
                if training:
                    loss.backward()
                    optimizer.step()
                self.history.new_batch()
                self.history.record_batch(prefix + "_loss", loss.item())
                self.history.record_batch(prefix + "_batch_size", len(x))
                n_batches += 1
        self.history.record(prefix + "_batch_count", n_batches)

    def _batch_listeners(self):
        return [
            name
            for name, callback in self.callbacks_
            if any(
                getattr(type(callback), event) is not getattr(Callback, event)
                for event in BATCH_EVENTS
            )
        ]


def was_interrupted(net):
    """Whether the user cut the training of ``net`` short (Ctrl-C).

    skorch ends training quietly on a KeyboardInterrupt, the same way its
    EarlyStopping stops (by raising one); what tells them apart is that an
    early stopping, the estimator's or one among the user's ``callbacks``,
    has run out of patience.
    """
    if len(net.history) >= net.max_epochs:
        return False
    return not any(
        isinstance(callback, EarlyStopping)
        and getattr(callback, "misses_", 0) >= callback.patience
        for _, callback in net.callbacks_
    )


def adam():
    """torch's Adam with its fastest update for every device.

    The fused kernel updates all parameters in one pass; torch supports it
    on the CPU from 2.4 on. Older releases get the multi-tensor version.
    """
    version = tuple(int(part) for part in torch.__version__.split(".")[:2])
    if version >= (2, 4):
        return {"optimizer": torch.optim.Adam, "optimizer__fused": True}
    return {"optimizer": torch.optim.Adam, "optimizer__foreach": True}


@dataclass(frozen=True)
class TrainingConfig:
    """What the estimator's parameters say about training, resolved."""

    max_epochs: int
    batch_size: int
    learning_rate: float
    weight_decay: float
    n_iter_no_change: int
    tol: float
    seed: int
    verbose: int
    device: str
    callbacks: list = field(default_factory=list)
    corruption: Corruption = field(default_factory=Corruption)
    support_fraction: float = 1.0
    sparsity: float = 0.0
    weight_average_decay: float | None = None
    keep_start: bool = True
    divergence_suspect: str = ""


def set_verbose(net, verbose):
    """Show ``net``'s next epochs as ``verbose`` says (see build_net): the
    table of epochs from 1, a progress bar over the batches from 2."""
    shown = {"print_log": PrintLog, "progress_bar": ProgressBar}
    wanted = {"print_log": verbose >= 1, "progress_bar": verbose >= 2}
    present = {name for name, _ in net.callbacks_}
    net.callbacks_ = [
        (name, callback)
        for name, callback in net.callbacks_
        if name not in shown or wanted[name]
    ]
    for name, make in shown.items():
        if wanted[name] and name not in present:
            net.callbacks_.append((name, make().initialize()))
    net.verbose = int(verbose)


def build_net(module, module_params, train, valid, config):
    """A fresh ``skorch.NeuralNet`` for the datasets ``train`` / ``valid``.

    skorch's surprising defaults are replaced: no validation split of its
    own (``valid`` is ours, or None), Adam instead of SGD, shuffled
    batches, and no per-epoch printing unless ``verbose``. Training stops
    as scikit-learn's MLP does: when the monitored loss has not improved by
    ``tol`` for ``n_iter_no_change`` epochs; with a validation set, the best
    weights are restored at the end, the starting ones among them when
    ``config.keep_start``, and then, with ``config.weight_average_decay``,
    replaced by their moving average over the epochs (see
    :class:`WeightAverage`; with ``config.keep_start``, only if it does no
    worse on the validation set). Validation inputs are corrupted the same
    way in every epoch.
    """
    stopping_params = {
        "patience": config.n_iter_no_change,
        "threshold": config.tol,
        "threshold_mode": "abs",
    }
    batches = {
        "batch_size": min(config.batch_size, len(train)),
        "seed": config.seed,
        "corruption": config.corruption,
    }
    valid_batches = (
        None if valid is None else BatchIterator(valid, fixed_noise=True, **batches)
    )
    if valid is None:
        stopping = EarlyStopping(monitor="train_loss", **stopping_params)
    elif config.keep_start:
        stopping = EarlyStoppingFromStart(
            valid_batches, load_best=True, **stopping_params
        )
    else:
        stopping = EarlyStopping(load_best=True, **stopping_params)
    callbacks = [
        ("stop_on_divergence", StopOnDivergence(config.divergence_suspect)),
        ("early_stopping", stopping),
    ]
    if valid is not None and config.weight_average_decay is not None:
        # After early stopping, whose restored weights it replaces; with
        # keep_start, those stay where the average does worse, so that
        # training never ends worse on the validation rows than early
        # stopping's choice.
        average = WeightAverage(
            config.weight_average_decay, valid_batches, config.keep_start
        )
        callbacks.append(("weight_average", average))
    callbacks += config.callbacks
    if config.verbose >= 2:
        callbacks.append(("progress_bar", ProgressBar()))
    net_params = {f"module__{key}": value for key, value in module_params.items()}
    if not config.verbose:
        net_params["callbacks__print_log"] = None
    return LeanNet(
        module=module,
        criterion=ReconstructionLoss,
        criterion__support_fraction=config.support_fraction,
        criterion__sparsity=config.sparsity,
        criterion__missing=train.missing or config.corruption.masked_targets,
        lr=config.learning_rate,
        optimizer__weight_decay=config.weight_decay,
        **adam(),
        max_epochs=config.max_epochs,
        batch_size=batches["batch_size"],
        iterator_train=BatchIterator,
        iterator_train__shuffle=True,
        **{f"iterator_train__{key}": value for key, value in batches.items()},
        iterator_valid=BatchIterator,
        iterator_valid__fixed_noise=True,
        **{f"iterator_valid__{key}": value for key, value in batches.items()},
        train_split=None if valid is None else predefined_split(valid),
        callbacks=callbacks,
        predict_nonlinearity=None,
        verbose=int(config.verbose),
        device=config.device,
        **net_params,
    )
