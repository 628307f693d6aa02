"""Training parameters, callbacks and helpers the tests share.

Small networks and few epochs keep the suite fast. How few depends on what
a test asserts: a test of the API needs a fitted model, not a good one,
while a test that the detector finds planted outliers needs 10 epochs and
one that the imputer fills better than the mean needs 30. Each set keeps
the values its tests' thresholds were measured with; change one and rerun
the tests that use it.

Imported as ``_params``: pytest puts ``tests/`` on ``sys.path`` (the
folder is not a package).
"""

from skorch.callbacks import Callback

# scikit-learn's estimator checks: the contract, not quality. No
# random_state: the checks set it where they compare fits.
CHECKS = {"hidden_layer_sizes": (8,), "max_iter": 3}

# Bad input, failing training, threads: what the network learns does not
# matter, only that each run is the same.
TINY = {**CHECKS, "random_state": 0}

# The built-in convolutional networks and networks of the user's own: each
# test gives the widths its network needs, or keeps the default ones.
FEW_EPOCHS = {"max_iter": 3, "random_state": 0}

# Parallel searches, torch threads and persistence: results that must be
# identical, not good.
QUICK = {"hidden_layer_sizes": (16,), "max_iter": 3, "random_state": 0}

# A model that has learned something: a classifier on its codes scores,
# a search prefers the wider code, noise changes what is learned.
SHORT = {"hidden_layer_sizes": (16,), "max_iter": 5, "random_state": 0}

# Long enough for the detector to tell the planted outliers apart.
DETECTOR = {"hidden_layer_sizes": (16,), "max_iter": 10, "random_state": 0}

# Long enough for the imputer to fill better than the column mean.
IMPUTER = {"hidden_layer_sizes": (16,), "max_iter": 30, "random_state": 0}


class FailWhenTrainingStarts(Callback):
    """Proves that an error came before training: training raises this."""

    def on_train_begin(self, net, **kwargs):
        raise RuntimeError("training started")


class FirstBatch(Callback):
    """Records the (input, target) of the first training batch, as
    ``batch``: what the network is shown after corruption and masking."""

    def initialize(self):
        self.batch = None
        return self

    def on_batch_begin(self, net, batch=None, training=None, **kwargs):
        if training and self.batch is None:
            self.batch = [part.clone() for part in batch]


def first_batch(estimator, X):
    """Fit ``estimator`` on ``X`` for one epoch of one batch and return that
    batch's (input, target) as arrays: what its network is shown."""
    estimator.set_params(
        batch_size=len(X), early_stopping=False, max_iter=1, callbacks=[FirstBatch()]
    ).fit(X)
    batch = dict(estimator.net_.callbacks_)["FirstBatch"].batch
    return [part.numpy() for part in batch]


class EpochWeights(Callback):
    """Records the module's weights at the end of every epoch."""

    def initialize(self):
        self.weights_ = []
        return self

    def on_epoch_end(self, net, **kwargs):
        state = net.module_.state_dict()
        self.weights_.append({k: v.clone() for k, v in state.items()})


def moving_average(epochs, decay):
    """The exponential moving average of per-epoch state dicts, as
    ``WeightAverage`` keeps it: floating-point entries move ``1 - decay``
    of the way to each epoch's, others take the latest value."""
    average = {name: value.clone() for name, value in epochs[0].items()}
    for weights in epochs[1:]:
        for name, value in average.items():
            if value.is_floating_point():
                value.lerp_(weights[name], 1.0 - decay)
            else:
                value.copy_(weights[name])
    return average
