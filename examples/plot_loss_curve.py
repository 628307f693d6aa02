"""
=============================================================
Training and validation loss, and early stopping's best epoch
=============================================================

Early stopping (``early_stopping=True``, the default) holds out
``validation_fraction`` of the rows, stops after ``n_iter_no_change``
epochs without an improvement of the validation loss by ``tol``, and
restores the weights of the best epoch; or, when it does no worse on the
validation rows, the moving average of the weights over the epochs. This
example fits a wide :class:`~sk_autoencoder.AutoencoderTransformer` to 500
of scikit-learn's digits, enough to overfit them, and plots
``loss_curve_`` (the training loss) and ``-validation_scores_`` (the
validation loss) per epoch, marking the best epoch.

It shows the limit of a wide network on few rows: past some epoch, the
training loss keeps falling while the validation loss rises; the epochs
after the best one are paid for and thrown away.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits

from sk_autoencoder import AutoencoderTransformer

# %%
# An autoencoder that can overfit
# -------------------------------
#
# 256 hidden units for 64 pixels and only 500 images, 10 % of which
# (``validation_fraction``, default) are held out for early stopping. The
# patience ``n_iter_no_change`` is 30 epochs (``"auto"`` would wait about
# 1,000 updates, 50 epochs of these 450 training rows): long enough for the
# rise of the validation loss after its best epoch to show in the plot.

X = load_digits().data[:500]
ae = AutoencoderTransformer(
    8,
    hidden_layer_sizes=(256,),
    learning_rate_init=3e-3,
    max_iter=400,
    n_iter_no_change=30,
    random_state=0,
).fit(X)

# %%
# The loss curves
# ---------------
#
# ``loss_curve_`` and ``validation_scores_`` hold one number per epoch, as
# in :class:`~sklearn.neural_network.MLPRegressor`;
# ``validation_scores_`` are scores (higher is better), so their negation
# is the validation loss. skorch's ``EarlyStopping`` callback, reachable
# through the fitted network ``net_``, records the epoch whose weights it
# restored (0 would mean that no epoch beat the starting point, the PCA
# solution). The shaded epochs did not improve the validation loss.

epochs = np.arange(1, ae.n_iter_ + 1)
validation_loss = -np.asarray(ae.validation_scores_)
best = dict(ae.net_.callbacks_)["early_stopping"].best_epoch_

fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(epochs, ae.loss_curve_, label="training loss (loss_curve_)")
ax.plot(epochs, validation_loss, label="validation loss (-validation_scores_)")
if best:
    ax.plot(
        best,
        validation_loss[best - 1],
        "o",
        color="black",
        label=f"best epoch: {best}",
    )
ax.axvspan(best, ae.n_iter_, color="tab:gray", alpha=0.15, lw=0)
ax.set(
    title="AutoencoderTransformer(8) on 500 digits, early stopping",
    xlabel="epoch",
    ylabel="mean squared error (scaled units)",
    yscale="log",
)
ax.legend()
fig.tight_layout()
plt.show()

print(
    f"{ae.n_iter_} epochs; best validation loss {validation_loss.min():.4f} "
    f"at epoch {best}; the last "
    f"{ae.n_iter_ - best} epochs (shaded) did not improve it by tol; "
    f"training loss at the end {ae.loss_curve_[-1]:.4f}."
)

# %%
# Reading the plot
# ----------------
#
# The two losses fall together at first. Then the training loss keeps
# falling while the validation loss levels off and rises: the network has
# started to learn the 450 training images rather than digits. Early
# stopping stops ``n_iter_no_change`` epochs after the best one and
# restores its weights, not the overfitted last ones; ``ae.n_iter_`` counts
# all the epochs run, the discarded ones included. The fitted model then
# takes the moving average of the weights over the epochs instead, if its
# validation loss is no higher than the best epoch's: averaging smooths
# out the noise of single steps, and usually rebuilds new rows better.
# (Where training broke down after the best epoch, the average as it
# stood at that epoch stands in for the last one.)
#
# Early stopping limits the damage; it does not undo the cause. Its
# validation rows (10 % here, 50 images) are taken from the training data,
# and the best epoch is chosen on this small sample. With
# ``early_stopping=False`` nothing is held out: training stops when the
# training loss stalls in the same way, or after ``max_iter`` epochs, and
# keeps the last weights, overfitted or not.
