"""scikit-learn's exact t-SNE as the engine's peer, on the codes `engine sample` wrote to tsne.csv.

Reads the CSV (label, the engine's t-SNE x and y, then the codes), runs
TSNE(method="exact", perplexity=30, init="random", learning_rate="auto", random_state=0) on the same
codes, and prints, for both embeddings, the KL divergence and the trustworthiness at k = 10
(sklearn.manifold.trustworthiness). The engine's KL is printed twice: as the engine reported it
(recomputed here with scikit-learn's own P and objective, so the two agree only if the engine's P
and KL are right) and scikit-learn's kl_divergence_ for its own run. With a second argument, draws
scikit-learn's embedding coloured by class into that PNG (matplotlib), to set beside the engine's
tsne.png.
"""
import sys
import time

import numpy as np
from sklearn.manifold import TSNE, trustworthiness
from sklearn.manifold._t_sne import _joint_probabilities, _kl_divergence
from sklearn.metrics import pairwise_distances


def draw(points, labels, path, title):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 6), dpi=100)
    for label in range(10):
        chosen = labels == label
        axes.scatter(points[chosen, 0], points[chosen, 1], s=6, color=plt.cm.tab10(label), label=str(label))
    axes.set_title(title)
    axes.legend(markerscale=3, fontsize=8, loc="best")
    figure.tight_layout()
    figure.savefig(path)


def main(path, picture=None):
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64)
    labels = data[:, 0].astype(np.int64)
    engine = data[:, 1:3].astype(np.float32)
    codes = data[:, 3:].astype(np.float32)
    n, dims = codes.shape

    # The engine's embedding judged by scikit-learn's P and objective (its private helpers, the
    # functions TSNE(method="exact") calls).
    distances = pairwise_distances(codes, metric="euclidean", squared=True)
    p = _joint_probabilities(distances, 30.0, 0)
    engine_kl, _ = _kl_divergence(engine.ravel(), p, 1, n, 2)

    start = time.perf_counter()
    tsne = TSNE(n_components=2, method="exact", perplexity=30.0, init="random", learning_rate="auto", random_state=0)
    peer = tsne.fit_transform(codes)
    seconds = time.perf_counter() - start

    print(f"{n} codes of {dims} dimensions from {path}")
    print(f"{'':28} {'KL(P||Q)':>10} {'T(k=10)':>10}")
    print(f"{'engine (sklearn P, KL)':28} {engine_kl:10.4f} {trustworthiness(codes, engine, n_neighbors=10):10.4f}")
    print(f"{'scikit-learn exact':28} {tsne.kl_divergence_:10.4f} {trustworthiness(codes, peer, n_neighbors=10):10.4f}"
          f"   ({tsne.n_iter_} iterations, {seconds:.1f} s)")
    if picture is not None:
        draw(peer, labels, picture, f"scikit-learn exact t-SNE of {n} codes ({dims}-D)")
        print(f"scikit-learn's embedding drawn in {picture}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None)
