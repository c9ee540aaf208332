#!/usr/bin/env bash
# Prints the folder holding NVIDIA's ptxas, cuobjdump and nvdisasm (CUDA 11.8, from Debian 12's
# non-free nvidia-cuda-toolkit package), fetching and unpacking them once into a cache folder.
# Nothing is installed: the package is downloaded with apt-get and unpacked with dpkg -x, and the
# temporary non-free source is removed again. No GPU is needed to run these tools: ptxas assembles
# PTX into SASS for any architecture (sm_70 ... sm_90) and reports registers, spills and shared
# memory (-v); cuobjdump -sass / nvdisasm print the machine code. Root is needed (apt-get).
# Usage: PTXAS_DIR=$(scripts/cuda-tools.sh) && "$PTXAS_DIR/ptxas" -v --gpu-name sm_90 k.ptx
# (The SASS report, scripts/sass-report.sh, calls it; a copy of the workplace tool shared/tools/cuda-ptxas.sh.)
set -euo pipefail
cache=${CUDA_TOOLS_CACHE:-/var/cache/cuda-tools-11.8}
if [ ! -x "$cache/ptxas" ]; then
  work=$(mktemp -d)
  src=/etc/apt/sources.list.d/cuda-tools-nonfree.sources
  printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: non-free\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' > "$src"
  trap 'rm -f "$src"; rm -rf "$work"' EXIT
  apt-get update -q -o Dir::Etc::sourcelist="$src" -o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0 >&2
  (cd "$work" && apt-get download -q -o Dir::Etc::sourcelist="$src" -o Dir::Etc::sourceparts=- nvidia-cuda-toolkit >&2)
  dpkg -x "$work"/nvidia-cuda-toolkit_*.deb "$work/x"
  mkdir -p "$cache"
  cp "$work/x/usr/bin/ptxas" "$work/x/usr/bin/cuobjdump" "$work/x/usr/bin/nvdisasm" "$cache/"
fi
echo "$cache"
