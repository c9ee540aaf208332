#!/usr/bin/env bash
# The test command (README; .ci/run's first stage runs this same line): sets up what the suite
# needs that a machine with only the .NET SDK lacks, then runs the whole suite.
#
#   scripts/test.sh                      dotnet test Engine.sln -c Release
#   scripts/test.sh --filter 'Kernels!=none'   any further arguments go to dotnet test
#
# What it sets up, once:
#   MPICH's mpiexec: the data-parallel tests start the tool as ranks under it. Debian and Ubuntu:
#   `apt-get install mpich` when run as root (a fresh container or CI); otherwise it says what to
#   install and stops, before any test runs.
# ENGINE_DEVICE picks the device the suite runs on (default: the CPU accelerator).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

command -v dotnet >/dev/null || { echo "scripts/test.sh: the .NET 10 SDK is not on PATH (https://dot.net)" >&2; exit 1; }

if ! command -v mpiexec >/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "scripts/test.sh: mpiexec is not on PATH and this is not root: install MPICH (Debian/Ubuntu: sudo apt-get install mpich) or run as root, which installs it" >&2
    exit 1
  fi
  command -v apt-get >/dev/null || { echo "scripts/test.sh: mpiexec is not on PATH and there is no apt-get: install MPICH (or another MPI of the MPICH ABI)" >&2; exit 1; }
  echo "scripts/test.sh: installing MPICH for the data-parallel tests (apt-get install mpich)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends mpich >/dev/null
  command -v mpiexec >/dev/null || { echo "scripts/test.sh: apt-get installed mpich but mpiexec is still not on PATH" >&2; exit 1; }
fi

exec dotnet test Engine.sln -c Release "$@"
