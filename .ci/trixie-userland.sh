#!/usr/bin/env bash
# Runs a command for this repository inside a Debian trixie chroot on a Debian 12 host.
#
# Why: ILGPU's OpenCL backend needs OpenCL C 2.0 (or 3.0 with the generic address space).
# Debian 12's PoCL 3.1 is refused by ILGPU; trixie's PoCL 6 is accepted. The same userland
# also has a libstdc++ new enough to load TorchSharp (the benchmark peer).
#
# The host's dotnet SDK, ~/.nuget and this repository are bind-mounted at the same paths, so a
# build made on the host runs unchanged inside. Needs root (mount, unshare, chroot).
# The first call bootstraps the root file system (about a minute, ~750 MB) and marks it ready.
#
# Usage: .ci/trixie-userland.sh dotnet test tests/Engine.Tests -c Release --no-build
#        ENGINE_ROOTFS=/var/tmp/other .ci/trixie-userland.sh clinfo -l
set -euo pipefail
ROOT=${ENGINE_ROOTFS:-/var/tmp/engine-trixie-rootfs-v1}
REPO=$(pwd -P)
DOTNET_DIR=$(dirname "$(readlink -f "$(command -v dotnet)")")
export DEBIAN_FRONTEND=noninteractive

bootstrap() {
  apt-get update -q
  apt-get install -y -q --no-install-recommends debootstrap
  rm -rf "$ROOT"
  debootstrap --variant=minbase trixie "$ROOT" http://deb.debian.org/debian
  cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
  # Extra root certificates of the host (a TLS-intercepting proxy) for restores inside.
  mkdir -p "$ROOT/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$ROOT/usr/local/share/ca-certificates/" 2>/dev/null || true
  unshare --mount --fork bash -euc '
    mount -t proc proc "$1/proc"
    chroot "$1" sh -euc "apt-get update -q
      apt-get install -y -q --no-install-recommends pocl-opencl-icd ocl-icd-libopencl1 \
        ocl-icd-opencl-dev clinfo libicu76 libssl3t64 ca-certificates mpich fonts-dejavu-core iproute2
      update-ca-certificates
      apt-get clean"' _ "$ROOT"
  ln -sfn /usr/share/dotnet/dotnet "$ROOT/usr/bin/dotnet"
  touch "$ROOT/.ready"
}

[ -e "$ROOT/.ready" ] || bootstrap

# MPICH (the distributed tests run mpiexec), added to a root file system made before it was listed.
if [ ! -e "$ROOT/usr/bin/mpiexec" ] && [ ! -L "$ROOT/usr/bin/mpiexec" ]; then
  cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
  unshare --mount --fork bash -euc '
    mount -t proc proc "$1/proc"
    chroot "$1" sh -euc "apt-get update -q && apt-get install -y -q --no-install-recommends mpich && apt-get clean"' _ "$ROOT"
fi

# iproute2 (the two-host tests make network namespaces), added to a root file system made before it was listed.
if [ ! -e "$ROOT/usr/sbin/ip" ] && [ ! -e "$ROOT/usr/bin/ip" ] && [ ! -e "$ROOT/sbin/ip" ]; then
  cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
  unshare --mount --fork bash -euc '
    mount -t proc proc "$1/proc"
    chroot "$1" sh -euc "apt-get update -q && apt-get install -y -q --no-install-recommends iproute2 && apt-get clean"' _ "$ROOT"
fi

# A font for the run logs' plots, added to a root file system made before it was listed.
if [ ! -e "$ROOT/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf" ]; then
  cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
  unshare --mount --fork bash -euc '
    mount -t proc proc "$1/proc"
    chroot "$1" sh -euc "apt-get update -q && apt-get install -y -q --no-install-recommends fonts-dejavu-core && apt-get clean"' _ "$ROOT"
fi

# A private mount and pid namespace: the mounts vanish and stray build servers die with the command.
mkdir -p "$HOME/.nuget"
exec unshare --mount --pid --fork --propagation private bash -euc '
  R=$1 D=$2 S=$3 N=$4; shift 4
  mount --bind "$R" "$R"                # / a mount point inside: ip netns (two-host tests) remounts it
  mount -t proc proc "$R/proc"          # CoreCLR needs /proc
  mount --rbind /sys "$R/sys"           # PoCL (hwloc) reads the CPU topology from sysfs
  mount --rbind /dev "$R/dev"
  mkdir -p "$R/usr/share/dotnet" "$R/root/.nuget" "$R$S"
  mount --bind "$D" "$R/usr/share/dotnet"
  mount --bind "$N" "$R/root/.nuget"
  mount --bind "$S" "$R$S"
  exec chroot "$R" /usr/bin/env HOME=/root \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    DOTNET_ROOT=/usr/share/dotnet DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 \
    MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0 UseSharedCompilation=false \
    ENGINE_DEVICE="${ENGINE_DEVICE:-}" \
    bash -c "cd \"\$0\" && exec \"\$@\"" "$S" "$@"
' _ "$ROOT" "$DOTNET_DIR" "$REPO" "$HOME/.nuget" "$@"
