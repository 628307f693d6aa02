"""Training and validation loss per epoch, and the epoch early stopping keeps.

Fits a wide AutoencoderTransformer(n_components=8) on 500 of scikit-learn's
digits, enough to overfit, with early stopping (10 % of the rows held out;
patience raised from 10 to 30 epochs so that the rise of the validation
loss shows) and plots ``loss_curve_`` (training loss) and
``-validation_scores_`` (validation loss) per epoch, marking the epoch
whose weights are restored at the end. Writes docs/images/loss_curve.png.
A few seconds on two cores.

    python examples/loss_curve.py
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits

from sk_autoencoder import AutoencoderTransformer

ROOT = Path(__file__).resolve().parents[1]


def main():
    X = load_digits().data[:500]
    ae = AutoencoderTransformer(
        8,
        hidden_layer_sizes=(256,),
        learning_rate_init=3e-3,
        max_iter=400,
        n_iter_no_change=30,
        random_state=0,
    ).fit(X)
    epochs = np.arange(1, ae.n_iter_ + 1)
    validation_loss = -np.asarray(ae.validation_scores_)
    # skorch's EarlyStopping records the epoch whose weights it restores
    # (0: none beat the starting point, the PCA solution).
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
            label=f"restored weights: epoch {best}",
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
    out = ROOT / "docs" / "images" / "loss_curve.png"
    fig.savefig(out, dpi=110)
    print(
        f"{ae.n_iter_} epochs; best validation loss {validation_loss.min():.4f} "
        f"at epoch {best}, whose weights are kept; the last "
        f"{ae.n_iter_ - best} epochs (shaded) did not improve it by tol; "
        f"training loss at the end {ae.loss_curve_[-1]:.4f}."
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
