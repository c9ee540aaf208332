#!/usr/bin/env bash
# The engine (ILGPU's CPU accelerator with its host path) and LibTorch (through TorchSharp) on the
# same cases (bench/Shared), the same threads (one per core) and the same userland, in one run;
# prints one table of ratios. Both run in the Debian trixie chroot (.ci/trixie-userland.sh), where
# LibTorch's glue loads; root is needed for the chroot, and the first run restores LibTorch (~700 MB).
#
# Usage: bench/compare.sh [RUN_FOLDER] [FILTER...]   e.g. bench/compare.sh out/compare '*Gemm*' '*Conv*'
#        (default folder BenchmarkDotNet.Artifacts/compare; the folder must be inside the repository,
#        which the chroot sees; default filter '*': about 15 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-BenchmarkDotNet.Artifacts/compare}
shift || true
FILTERS=("$@")
[ ${#FILTERS[@]} -gt 0 ] || FILTERS=('*')
rm -rf "$OUT"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
case "$OUT/" in "$(pwd -P)/"*) ;; *) echo "The run folder must be inside the repository (the chroot sees only that): $OUT" >&2; exit 2 ;; esac

lscpu | grep -E 'Model name|^CPU\(s\)' | tee "$OUT/machine.txt"
dotnet build bench/Engine.Bench -c Release -v quiet
dotnet build bench/Engine.Bench.Compare -c Release -v quiet
quoted=$(printf "'%s' " "${FILTERS[@]}")
ENGINE_BENCH_DEVICES=cpu .ci/trixie-userland.sh bash -euc "
  dotnet build bench/Engine.Bench.Peer -c Release -v quiet
  dotnet run --project bench/Engine.Bench -c Release --no-build -- --filter $quoted --artifacts '$OUT/engine'
  dotnet run --project bench/Engine.Bench.Peer -c Release --no-build -- --filter $quoted --artifacts '$OUT/peer'
  # Peak memory: one process per case and suite, so no case inherits another's freed memory.
  for c in \$(dotnet run --project bench/Engine.Bench -c Release --no-build -- --cases); do
    dotnet run --project bench/Engine.Bench -c Release --no-build -- --peak-memory \"\$c\" >> '$OUT/engine-memory.tsv'
    dotnet run --project bench/Engine.Bench.Peer -c Release --no-build -- --peak-memory \"\$c\" >> '$OUT/peer-memory.tsv'
  done"
dotnet run --project bench/Engine.Bench.Compare -c Release --no-build -- "$OUT" | tee "$OUT/compare.md"
