"""
=====================================================================
2-D maps of held-out digits: PCA, UMAP and AutoencoderEmbedding
=====================================================================

:class:`~sk_autoencoder.AutoencoderEmbedding` trains an autoencoder whose
2-D code keeps the neighbourhoods of the training rows, with UMAP's loss,
while its decoder learns to rebuild the rows from the code. This example
fits it, PCA and (when umap-learn is installed) UMAP on 70 % of
scikit-learn's digits, draws the held-out 30 % in each map, and then
decodes a grid of points of the map back into images.

Two scores per map: the trustworthiness of the held-out map (k=5: how
many of each held-out digit's nearest digits in the map are near it in
pixel space too) and the accuracy of a 5-nearest-neighbour classifier
trained on the training codes and scored on the held-out codes.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.manifold import trustworthiness
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier

from sk_autoencoder import AutoencoderEmbedding

# %%
# Three maps of the same digits
# -----------------------------
#
# The digits are split 70/30, stratified by digit. UMAP joins the
# comparison only when umap-learn is installed (``pip install umap-learn``).

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
reducers = {
    "PCA(2)": PCA(2),
    "AutoencoderEmbedding()": AutoencoderEmbedding(random_state=0),
}
try:
    import umap
except ImportError:
    print("umap-learn is not installed: the UMAP panel is left out.")
else:
    reducers["UMAP()"] = umap.UMAP(random_state=0)

# %%
# Each reducer is fitted on the training digits only; the panels draw the
# held-out digits, coloured by digit.

fig, axes = plt.subplots(1, len(reducers), figsize=(5 * len(reducers), 5))
for ax, (name, reducer) in zip(axes, reducers.items(), strict=True):
    Z_train = reducer.fit_transform(X_train)
    Z_test = reducer.transform(X_test)
    trust = trustworthiness(X_test, Z_test, n_neighbors=5)
    accuracy = KNeighborsClassifier(5).fit(Z_train, y_train).score(Z_test, y_test)
    print(f"{name:<24} trustworthiness {trust:.3f}  5-NN accuracy {accuracy:.3f}")
    ax.scatter(*Z_test.T, c=y_test, cmap="tab10", s=8, vmin=-0.5, vmax=9.5)
    title = f"{name}\ntrust {trust:.3f}, 5-NN {accuracy:.3f}"
    ax.set(title=title, xticks=[], yticks=[])
plt.show()

# %%
# PCA's plane keeps only the coarsest structure. The autoencoder's map
# pulls the digits into clusters of their own, as UMAP's does, and it
# maps new rows with one pass of the encoder (milliseconds, where UMAP's
# ``transform`` optimizes each new row's place for seconds). UMAP fits
# these 1,257 digits faster; ``benchmarks/results/embedding.md`` has the
# figures on more datasets.

# %%
# Digits decoded from the map
# ---------------------------
#
# ``inverse_transform`` runs the decoder: every point of the map, not only
# the codes of real digits, decodes to an image. A grid over the map
# shows how the decoded digits change from cluster to cluster.

embedding = reducers["AutoencoderEmbedding()"]
Z_train = embedding.transform(X_train)
low, high = np.percentile(Z_train, [2, 98], axis=0)
n = 12
grid = np.array(
    [
        [u, v]
        for v in np.linspace(high[1], low[1], n)
        for u in np.linspace(low[0], high[0], n)
    ]
)
images = embedding.inverse_transform(grid).reshape(n, n, 8, 8)

fig, (ax_map, ax_images) = plt.subplots(1, 2, figsize=(11, 5.5))
ax_map.scatter(*Z_train.T, c=y_train, cmap="tab10", s=5, vmin=-0.5, vmax=9.5)
ax_map.add_patch(
    plt.Rectangle(low, *(high - low), fill=False, linestyle="--", color="black")
)
ax_map.set(title="Training codes and the decoded grid", xticks=[], yticks=[])
ax_images.imshow(
    images.transpose(0, 2, 1, 3).reshape(8 * n, 8 * n), cmap="gray_r", vmin=0
)
ax_images.set(title="Rows decoded from the grid", xticks=[], yticks=[])
plt.show()
