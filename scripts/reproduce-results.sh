#!/usr/bin/env bash
# Re-runs the training runs reported in docs/RESULTS.md, on the full datasets fetched by
# scripts/download-data.sh, and writes each run's checkpoints, log and PNGs under runs/
# (replacing the runs of an earlier call: that is what this script is for).
# Usage: scripts/reproduce-results.sh [DATA_DIR]   (ENGINE_DEVICE picks the device; default auto)
set -euo pipefail
DATA=${1:-data}
CLI=(dotnet run --project src/Cli -c Release --no-build --)
dotnet build src/Cli -c Release >/dev/null
mkdir -p runs
run() {
  local name=$1 start=$SECONDS; shift
  echo "== $name: $*"
  "${CLI[@]}" "$@" --overwrite --plain 2>&1 | tee "runs/$name.log"
  echo "$name wall $((SECONDS - start)) s" | tee -a "runs/$name.log"
}

run unet-brain train unet --dataset brain-mri --data "$DATA/brain-mri" --base-width 16 --epochs 40 --batch-size 4 --lr 2e-3 -o runs/unet-brain
"${CLI[@]}" segment --checkpoint runs/unet-brain --data "$DATA/brain-mri" | tee -a runs/unet-brain.log

run vae-mnist train vae --dataset mnist --data "$DATA/mnist" --epochs 12 --batch-size 128 --lr 2e-3 -o runs/vae-mnist
"${CLI[@]}" sample --checkpoint runs/vae-mnist --data "$DATA/mnist" | tee -a runs/vae-mnist.log

run resnet-fashion train resnet --dataset fashion-mnist --data "$DATA/fashion-mnist" --base-width 16 --epochs 4 --batch-size 128 --lr 3e-3 --init pytorch -o runs/resnet-fashion

run resnet-mnist train resnet --dataset mnist --data "$DATA/mnist" --base-width 16 --epochs 2 --batch-size 128 --lr 3e-3 --init pytorch -o runs/resnet-mnist

# The autoencoder family on Fashion-MNIST (code 32), and a VAE with a 2-D latent on MNIST for its latent plots.
for kind in plain denoising sparse contractive; do
  run ae-$kind-fashion train ae --kind $kind --dataset fashion-mnist --data "$DATA/fashion-mnist" --epochs 10 --batch-size 128 --lr 2e-3 -o runs/ae-$kind-fashion
  "${CLI[@]}" sample --checkpoint runs/ae-$kind-fashion --data "$DATA/fashion-mnist" | tee -a runs/ae-$kind-fashion.log
done
run vae2d-mnist train vae --latent 2 --dataset mnist --data "$DATA/mnist" --epochs 10 --batch-size 128 --lr 2e-3 -o runs/vae2d-mnist
"${CLI[@]}" sample --checkpoint runs/vae2d-mnist --data "$DATA/mnist" | tee -a runs/vae2d-mnist.log

# Multi-class segmentation on M2NIST-style composites of MNIST digits (11 classes; the layout is synthetic).
run m2nist-unet train unet --dataset m2nist --data "$DATA/mnist" --base-width 16 --batch-size 16 --epochs 6 --augment false -o runs/m2nist-unet
"${CLI[@]}" segment --checkpoint runs/m2nist-unet --data "$DATA/mnist" | tee -a runs/m2nist-unet.log
for model in fcn8s deeplab segnet; do
  run m2nist-$model train $model --dataset m2nist --data "$DATA/mnist" --epochs 6 -o runs/m2nist-$model
  "${CLI[@]}" segment --checkpoint runs/m2nist-$model --data "$DATA/mnist" | tee -a runs/m2nist-$model.log
done

# The notes' last rows. The SPP classifier trained at two sizes, and at one to show what the second
# adds, each evaluated at sizes between and beyond the ones it trained at.
for sizes in 28,36 28; do
  run sppnet-fashion-${sizes/,/-} train sppnet --dataset fashion-mnist --data "$DATA/fashion-mnist" --sizes $sizes --epochs 10 -o runs/sppnet-fashion-${sizes/,/-}
  "${CLI[@]}" eval --checkpoint runs/sppnet-fashion-${sizes/,/-} --data "$DATA/fashion-mnist" --sizes 28,32,36,40,44 | tee -a runs/sppnet-fashion-${sizes/,/-}.log
done
# A 32-D autoencoder's MNIST test codes embedded by t-SNE (bench/tsne-vs-sklearn.sh adds scikit-learn's).
run ae-mnist train ae --dataset mnist --data "$DATA/mnist" --epochs 5 --seed 1 -o runs/ae-mnist
"${CLI[@]}" sample -c runs/ae-mnist --tsne-points 1000 --seed 0 --count 4 | tee -a runs/ae-mnist.log
# The pyramid pooling head, DeconvNet (15 epochs, as SegNet's longer run), and DeepLabV3's output stride: 8 against 4 with
# everything else the same (the atrous rates scale with it, 3 and 6).
run m2nist-pspnet train pspnet --dataset m2nist --data "$DATA/mnist" --epochs 6 --seed 1 -o runs/m2nist-pspnet
run m2nist-deeplab-os4 train deeplab --dataset m2nist --data "$DATA/mnist" --epochs 6 --seed 1 --output-stride 4 -o runs/m2nist-deeplab-os4
run m2nist-deconvnet-15 train deconvnet --dataset m2nist --data "$DATA/mnist" --epochs 15 --seed 1 -o runs/m2nist-deconvnet-15
