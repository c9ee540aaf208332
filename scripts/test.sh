#!/usr/bin/env bash
# The README's test command: the whole suite on a machine that has only the .NET 10 SDK.
#
# The suite starts the tool under MPICH's mpiexec (data-parallel tests), draws the run logs'
# plots with a system font, and joins two network namespaces for the two-host tests. What is
# missing of those is installed first from the distribution's archive (apt-get, as root or
# through sudo); nothing else is fetched. Extra arguments go to `dotnet test` (for instance
# --filter "FullyQualifiedName~GemmTests").
#
# Usage: scripts/test.sh [dotnet test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

command -v dotnet >/dev/null || { echo "The tests need the .NET 10 SDK on PATH (https://dot.net)" >&2; exit 1; }

# package: what is missing when it is missing
missing=()
command -v mpiexec >/dev/null || missing+=(mpich)
[ -n "$(find /usr/share/fonts -name '*.ttf' -print -quit 2>/dev/null)" ] || missing+=(fonts-dejavu-core)
command -v ip >/dev/null || missing+=(iproute2)

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    as_root=()
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    echo "The tests need ${missing[*]}: run this as root, or install them (apt-get install ${missing[*]})" >&2
    exit 1
  fi
  command -v apt-get >/dev/null \
    || { echo "The tests need ${missing[*]}, and this machine has no apt-get to install them: install them, then run this again" >&2; exit 1; }
  echo "== Installing what the tests need: ${missing[*]} (apt-get)"
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

exec dotnet test Engine.sln -c Release "$@"
