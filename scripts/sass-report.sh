#!/usr/bin/env bash
# The SASS report: every kernel compiled as the engine compiles it for NVIDIA GPUs, assembled by
# NVIDIA's ptxas (CUDA 11.8) for sm_80 and sm_90 and disassembled, with no GPU. Prints one table of
# registers, spills, shared memory and groups per multiprocessor for every kernel, and for the
# GEMM-shaped kernels the FFMA share of their K loop per tile (the most of FP32 peak they can reach),
# then each kernel family's target. Files (PTX, cubin, SASS, report.md) go to artifacts/sass.
#
#   scripts/sass-report.sh            the report
#   scripts/sass-report.sh --check    the same, exit 1 when a kernel does not assemble, spills or
#                                     misses its target (CI runs this)
#   scripts/sass-report.sh --filter Gemm128 --arch sm_90
#
# Fetches ptxas and cuobjdump once (scripts/cuda-tools.sh: Debian's non-free nvidia-cuda-toolkit
# package, unpacked, nothing installed; needs root and Debian's mirrors) unless CUDA_TOOLS_DIR names
# a folder that has them.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
if [ -z "${CUDA_TOOLS_DIR:-}" ]; then
  CUDA_TOOLS_DIR=$(scripts/cuda-tools.sh)
  export CUDA_TOOLS_DIR
fi
dotnet build bench/Engine.Bench -c Release --nologo -v quiet -clp:ErrorsOnly >/dev/null
exec dotnet bench/Engine.Bench/bin/Release/net10.0/Engine.Bench.dll sass-report "$@"
