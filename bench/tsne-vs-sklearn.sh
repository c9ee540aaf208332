#!/usr/bin/env bash
# The engine's exact t-SNE beside scikit-learn's TSNE(method="exact") on the same codes: a 32-D
# autoencoder trained on the CLI's Fashion-MNIST subset (or the run folder given), its test codes
# embedded by `sample --tsne-points N` (tsne.csv holds the codes and the engine's embedding), then
# bench/peer/tsne_peer.py embeds the same codes with scikit-learn and prints the KL divergence and
# the trustworthiness at k = 10 of both. Needs Debian's python3-sklearn (installed here when
# missing, which needs root). Not a test: the tests never depend on scikit-learn.
#
# Usage: bench/tsne-vs-sklearn.sh [RUN_FOLDER] [POINTS]
#        (default folder BenchmarkDotNet.Artifacts/tsne/ae, trained for 5 epochs when it has no
#        checkpoint; default 1000 points, the subset's whole test split)
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${1:-BenchmarkDotNet.Artifacts/tsne/ae}
POINTS=${2:-1000}
PYTHON=/usr/bin/python3 # Debian's, where python3-sklearn installs (not a pyenv shim)
$PYTHON -c "import sklearn" 2>/dev/null || apt-get install -y python3-sklearn >/dev/null
dotnet build src/Cli -c Release -v quiet --nologo -clp:ErrorsOnly >/dev/null
CLI="dotnet src/Cli/bin/Release/net10.0/Engine.Cli.dll"
[ -f "$RUN/last.safetensors" ] || $CLI train ae --dataset fashion-mnist-small --epochs 5 --plain -o "$RUN" | tail -1
start=$(date +%s.%N)
$CLI sample -c "$RUN" --tsne-points "$POINTS" --seed 0 --count 4
echo "engine sample (encoding, t-SNE, trustworthiness, PNG): $(echo "$(date +%s.%N) - $start" | bc) s"
$PYTHON bench/peer/tsne_peer.py "$RUN/tsne.csv" "$RUN/tsne-sklearn.png"
