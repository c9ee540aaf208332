#!/usr/bin/env bash
# The GPU check, in two parts, for a GPU machine that has the NVIDIA driver, CUDA and Python with
# PyTorch but no .NET SDK and no network (15 minutes lent in all, 10 per command):
#
#   scripts/gpu-check.sh prepare   (here, with the .NET 10 SDK) publishes the tests, the CLI and the
#                                  benchmarks self-contained for linux-x64, leaves out the native
#                                  libraries the GPU run never loads, and packs one archive,
#                                  artifacts/gpu-check/gpu-check.tar.xz (git-ignored; must stay under
#                                  50 MiB), and prints its size.
#   scripts/gpu-check.sh run       (there, from the working tree that carries the archive) unpacks it
#                                  and runs, each part within its share of one budget (8 minutes):
#     1. engine: Engine.Bench gpu-report on one opened device: the issue's targets first (GEMM
#        4096^3 with cuBLAS SGEMM in FP32 beside it and the result checked against cuBLAS's and
#        float64; ResNet-50 at batch 64 on 224x224; the paper's U-Net at 572x572), then the suite's
#        GEMM shapes, convolution layers and training steps; each row printed and appended to
#        rows/engine.tsv the moment it is measured;
#     2. peer: bench/peer/torch_peer.py, the same cases in PyTorch (FP32, TF32 off), rows/torch.tsv;
#     3. nccl: Engine.Bench nccl-smoke, one rank of the engine's NCCL communicator on the device (an
#        all-reduce, a bucket on the communication stream, a broadcast, each bit-exact), at most
#        45 s; where no libnccl.so.2 is found (the loader's path, or a wheel's nvidia/nccl/lib) it
#        prints "not run: libnccl.so.2 absent" and does not fail the check;
#     4. tests: a fixed list of kernel test classes (GEMM, implicit convolution, convolution,
#        pooling and resampling, batch norm), what is left, at most 3 minutes;
#     5. the summary: each part's status, then every engine row beside cuBLAS's, PyTorch's and the
#        prediction (bench/Engine.Bench/GpuCheck/predictions.tsv), with the ratios; then the checks.
#   Exit code 0 when everything that ran passed (a part cut by its time limit keeps the rows it wrote
#   and says so); 1 when a case, check or test failed. A part that cannot find its device says so in
#   one line; no engine device stops the run there.
#
# Dry run on a machine without a GPU (the plumbing, in about 2 minutes):
#   ENGINE_DEVICE=cpu GPU_CHECK_BUDGET=240 scripts/gpu-check.sh run
# (quick sizes; the peer runs on PyTorch's CPU device where a python3 has torch, else it is skipped).
#
# Settings (environment): ENGINE_DEVICE (cuda, cuda:N, cpu, opencl), GPU_CHECK_ARCHIVE (the archive),
# GPU_CHECK_BUDGET (seconds for the whole run: default 480 on CUDA, 300 otherwise), GPU_CHECK_ENGINE_S,
# GPU_CHECK_PEER_S, GPU_CHECK_TESTS_S (each part's limit: default 45% and 20% of the budget, and
# what is left, at most 180 s, for the tests), GPU_CHECK_QUICK=1 (quick sizes; the default off CUDA),
# GPU_CHECK_PYTHON (a python with torch), GPU_CHECK_TEST_CLASSES (space-separated test classes, replacing
# the list below), GPU_CHECK_KEEP=1 (keep the unpacked folder). With $OUT set, the output, the rows,
# the logs and the test results are also written under $OUT/gpu-check/.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ARCHIVE_DIR=$ROOT/artifacts/gpu-check
ARCHIVE=${GPU_CHECK_ARCHIVE:-$ARCHIVE_DIR/gpu-check.tar.xz}
LIMIT_MIB=50

# The test classes that run the GPU kernels the check measures (names checked against tests/Engine.Tests).
TEST_CLASSES=(
  Engine.Tests.Ops.GemmTests                  # both GEMM tilings, every transpose, batched and broadcast
  Engine.Tests.Ops.ImplicitConvolutionTests   # implicit-GEMM convolution forward and both gradients
  Engine.Tests.Functional.ConvolutionTests    # convolution and transposed convolution, central differences
  Engine.Tests.Functional.PoolingTests        # max and average pooling, unpooling, resampling (upsampling)
  Engine.Tests.Functional.NormalizationTests  # batch norm forward and backward
  Engine.Tests.Ops.ChannelReductionTests      # the per-channel reductions under batch norm
)

# Files of the publish the GPU run never loads, left out of the archive (paths relative to app/ and
# bench/; globs allowed): ONNX Runtime (the ONNX tests, not run there), SkiaSharp and HarfBuzz
# (ScottPlot's drawing of run curves), the code-coverage collector and its instrumentation engines
# for every platform, the debugger's data-access libraries, Windows natives, and BenchmarkDotNet's
# disassembler and code generators (gpu-report times cases itself).
LEAVE_OUT=(
  'libonnxruntime*.so' 'onnxruntime*.dll'
  'libSkiaSharp.so' 'libHarfBuzzSharp.so'
  CodeCoverage alpine macos ubuntu arm64 x64 x86 amd64
  libmscordaccore.so libmscordbi.so
  libcapstone.so 'Microsoft.CodeAnalysis*.dll' 'Microsoft.Diagnostics.*.dll' Iced.dll
)

die() { echo "gpu-check: FAILED: $*" >&2; exit 1; }

prepare() {
  command -v dotnet >/dev/null || die "prepare needs the .NET 10 SDK on PATH (run it on the build machine, not the GPU machine)"
  command -v xz >/dev/null || die "prepare needs xz"
  export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
  local stage=$ARCHIVE_DIR/stage start=$SECONDS
  rm -rf "$stage"
  mkdir -p "$stage/gpu-check"
  # The tests and the CLI share one folder: the tests start the CLI's own executable beside them
  # (tests/Engine.Tests/Infrastructure/CliProcess.cs), and the CLI's self-contained runtimeconfig
  # replaces the framework-dependent one the test project's reference copies there.
  local publish=(-c Release -r linux-x64 --self-contained true -p:ValidateExecutableReferencesMatchSelfContained=false -v quiet -nologo)
  echo "gpu-check prepare: publishing the tests, the CLI and the benchmarks (self-contained, linux-x64)"
  nice -n 10 dotnet publish "$ROOT/tests/Engine.Tests" "${publish[@]}" -o "$stage/gpu-check/app"
  nice -n 10 dotnet publish "$ROOT/src/Cli" "${publish[@]}" -o "$stage/gpu-check/app"
  nice -n 10 dotnet publish "$ROOT/bench/Engine.Bench" "${publish[@]}" -o "$stage/gpu-check/bench"
  for f in app/Engine.Tests app/Engine.Cli bench/Engine.Bench; do
    [ -x "$stage/gpu-check/$f" ] || die "the publish has no executable $f"
  done
  local before pattern left_out=0
  before=$(du -sb "$stage/gpu-check" | cut -f1)
  for pattern in "${LEAVE_OUT[@]}"; do
    for f in "$stage"/gpu-check/app/$pattern "$stage"/gpu-check/bench/$pattern; do
      if [ -e "$f" ]; then rm -rf "$f"; left_out=$((left_out + 1)); fi
    done
  done
  echo "gpu-check prepare: left out $left_out files and folders the GPU run never loads ($(du -sb "$stage/gpu-check" | awk -v b="$before" '{ printf "%.0f of %.0f MiB stay", $1 / 1048576, b / 1048576 }'))"
  # One runtime: a file of bench/ identical to the same file in app/ becomes a hard link to it,
  # which tar stores once.
  local linked=0
  while IFS= read -r -d '' f; do
    if [ -f "$stage/gpu-check/app/$f" ] && cmp -s "$stage/gpu-check/app/$f" "$stage/gpu-check/bench/$f"; then
      ln -f "$stage/gpu-check/app/$f" "$stage/gpu-check/bench/$f"
      linked=$((linked + 1))
    fi
  done < <(cd "$stage/gpu-check/bench" && find . -type f -printf '%P\0')
  {
    echo "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
    echo "built $(date -u +%Y-%m-%dT%H:%MZ) on $(uname -m) with .NET SDK $(dotnet --version)"
  } > "$stage/gpu-check/BUILD"
  echo "gpu-check prepare: $linked files of bench/ share app/'s copy; compressing"
  rm -f "$ARCHIVE.tmp"
  tar -C "$stage" -cf - gpu-check | nice -n 10 xz -9 -T2 > "$ARCHIVE.tmp"
  mv "$ARCHIVE.tmp" "$ARCHIVE"
  [ -n "${GPU_CHECK_KEEP:-}" ] || rm -rf "$stage"
  local bytes
  bytes=$(stat -c %s "$ARCHIVE")
  echo "gpu-check prepare: $ARCHIVE: $(awk -v b="$bytes" 'BEGIN { printf "%.1f MiB (%d bytes)", b / 1048576, b }') in $((SECONDS - start)) s"
  [ "$bytes" -lt $((LIMIT_MIB * 1048576)) ] || die "the archive is over $LIMIT_MIB MiB; with the working tree it would not travel to the GPU machine (64 MiB)"
}

# --- run ---------------------------------------------------------------------------------------

# The C functions ILGPU 1.5.3's cuBLAS binding calls (ILGPU.Algorithms, CuBlasAPI): the handle, its
# stream, math and pointer modes, and SGEMM.
CUBLAS_FUNCTIONS=(cublasCreate_v2 cublasDestroy_v2 cublasGetVersion_v2 cublasSetStream_v2 cublasGetStream_v2
  cublasSetMathMode cublasGetMathMode cublasSetPointerMode_v2 cublasGetPointerMode_v2 cublasSgemm_v2)

# Folders where a libcublas may be: the CUDA toolkit's, the system's, and every Python wheel's
# nvidia/*/lib (nvidia/cublas/lib for CUDA 12 wheels, nvidia/cu13/lib for CUDA 13 ones).
cublas_folders() {
  local d
  printf '%s\n' /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/local/cuda-*/lib64 \
    /usr/local/cuda-*/targets/x86_64-linux/lib /usr/lib/x86_64-linux-gnu /usr/lib64 /opt/nvidia/*/lib64
  if [ -n "${PEER_PYTHON:-}" ] || command -v python3 >/dev/null; then
    while IFS= read -r d; do
      compgen -G "$d/nvidia/*/lib" || true
    done < <("${PEER_PYTHON:-python3}" -c 'import site; print("\n".join(site.getsitepackages() + [site.getusersitepackages()]))' 2>/dev/null || true)
  fi
}

# Which of CUBLAS_FUNCTIONS a library does not export (empty: all there); "unchecked" without python3 or nm.
cublas_missing() {
  local lib=$1
  if command -v "${PEER_PYTHON:-python3}" >/dev/null; then
    "${PEER_PYTHON:-python3}" - "$lib" "${CUBLAS_FUNCTIONS[@]}" <<'EOF' 2>/dev/null || echo "unchecked (it did not load)"
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
print(" ".join(n for n in sys.argv[2:] if not hasattr(lib, n)))
EOF
  elif command -v nm >/dev/null; then
    local exported f missing=()
    exported=$(nm -D --defined-only "$lib" 2>/dev/null | awk '{ print $3 }')
    for f in "${CUBLAS_FUNCTIONS[@]}"; do grep -qx "$f" <<<"$exported" || missing+=("$f"); done
    echo "${missing[*]}"
  else
    echo "unchecked (no python3 or nm here)"
  fi
}

# Puts a libcublas that ILGPU 1.5.3 can load on the loader path and says which in CUBLAS_NOTE. The
# binding asks for libcublas.so.12, .11 and .10, newest first. CUDA 13 ships libcublas.so.13: its
# cuBLAS v2 functions keep their C signatures across major versions (they are the stable API that
# cublas_v2.h maps cublasSgemm to), so where only a .so.13 exists and it exports every function the
# binding calls, it is linked as libcublas.so.12 in a folder of this run, its own folder on the loader
# path for libcublasLt. The GEMM check then compares its results with the engine's and float64's.
find_cublas() {
  local found d lib so13=""
  found=$(ldconfig -p 2>/dev/null | grep -oE 'libcublas\.so\.1[0-2]( |$)' | sort -r | head -1 || true)
  if [ -n "$found" ]; then
    CUBLAS_NOTE="libcublas: $found on the loader path"
    return
  fi
  while IFS= read -r d; do
    lib=$(compgen -G "$d/libcublas.so.1[0-2]" | sort -r | head -1 || true)
    if [ -n "$lib" ]; then
      export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
      CUBLAS_NOTE="libcublas: $lib (its folder put on the loader path)"
      return
    fi
    [ -n "$so13" ] || so13=$(compgen -G "$d/libcublas.so.13" | head -1 || true)
  done < <(cublas_folders)
  [ -n "$so13" ] || so13=$(ldconfig -p 2>/dev/null | grep -E '^[[:space:]]+libcublas\.so\.13 .*x86-64' | sed 's/.*=> //' | head -1 || true)
  if [ -z "$so13" ]; then
    CUBLAS_NOTE="libcublas: none found (no .so.10 to .13 in the CUDA toolkit, the system or a Python wheel); the report measures no cuBLAS anchor"
    return
  fi
  local missing
  missing=$(cublas_missing "$so13")
  if [ -n "$missing" ]; then
    CUBLAS_NOTE="libcublas: only $so13 (CUDA 13), which ILGPU 1.5.3 does not ask for; not linked under its name: $missing. No cuBLAS anchor"
    return
  fi
  mkdir -p "$WORK/cublas"
  ln -sf "$so13" "$WORK/cublas/libcublas.so.12"
  export LD_LIBRARY_PATH="$WORK/cublas:$(dirname "$so13")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  CUBLAS_NOTE="libcublas: only $so13 (CUDA 13); ILGPU 1.5.3 asks for .so.12, .11 or .10, so it is linked as libcublas.so.12 in $WORK/cublas (it exports all ${#CUBLAS_FUNCTIONS[@]} functions the binding calls, whose C signatures cuBLAS keeps across versions)"
}

# ILGPU asks the loader for libcuda.so, the driver's development link; a driver installed without it
# (containers often are) has only libcuda.so.1: then link it as libcuda.so in a folder on the
# loader path. Says what it found in LIBCUDA_NOTE.
ensure_libcuda() {
  local listing so1="" d loader_path=${LD_LIBRARY_PATH:-}
  listing=$(ldconfig -p 2>/dev/null || true)
  if grep -qE '^[[:space:]]+libcuda\.so ' <<<"$listing"; then
    LIBCUDA_NOTE="libcuda: libcuda.so on the loader path"
    return
  fi
  so1=$(grep -E '^[[:space:]]+libcuda\.so\.1 .*x86-64' <<<"$listing" | sed 's/.*=> //' | head -1 || true)
  if [ -z "$so1" ]; then
    for d in ${loader_path//:/ } /usr/lib/x86_64-linux-gnu /usr/lib64 /usr/local/nvidia/lib64 /usr/lib/wsl/lib; do
      if [ -e "$d/libcuda.so" ]; then LIBCUDA_NOTE="libcuda: $d/libcuda.so"; return; fi
      if [ -e "$d/libcuda.so.1" ]; then so1=$d/libcuda.so.1; break; fi
    done
  fi
  if [ -n "$so1" ]; then
    mkdir -p "$WORK/lib"
    ln -sf "$so1" "$WORK/lib/libcuda.so"
    export LD_LIBRARY_PATH="$WORK/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    LIBCUDA_NOTE="libcuda: only $so1 is installed; linked as libcuda.so for ILGPU"
    return
  fi
  LIBCUDA_NOTE="libcuda: not found (no NVIDIA driver library on the loader path)"
}

# The python the peer runs with: GPU_CHECK_PYTHON, else the first python3 that imports torch.
# ENGINE_NCCL_LIBRARY for the NCCL part: as given, else libnccl.so.2 on the loader's path (left to the
# loader), else the one a Python wheel carries (nvidia-nccl-cu12, which PyTorch's CUDA wheels pull in).
find_nccl() {
  local p lib
  if [ -n "${ENGINE_NCCL_LIBRARY:-}" ]; then NCCL_NOTE="nccl: ENGINE_NCCL_LIBRARY=$ENGINE_NCCL_LIBRARY"; return; fi
  if ldconfig -p 2>/dev/null | grep -q 'libnccl\.so\.2 '; then NCCL_NOTE="nccl: libnccl.so.2 on the loader's path"; return; fi
  for p in $PEER_PYTHON python3; do
    command -v "$p" >/dev/null || continue
    lib=$("$p" -c 'import glob, os, site, sys; dirs = site.getsitepackages() + [site.getusersitepackages()]; hits = [f for d in dirs for f in glob.glob(os.path.join(d, "nvidia", "nccl", "lib", "libnccl.so.2"))]; print(hits[0] if hits else "")' 2>/dev/null || true)
    if [ -n "$lib" ]; then export ENGINE_NCCL_LIBRARY=$lib; NCCL_NOTE="nccl: $lib (a Python wheel's)"; return; fi
  done
  NCCL_NOTE="nccl: no libnccl.so.2 (loader's path, Python wheels)"
}

find_python() {
  local p
  for p in ${GPU_CHECK_PYTHON:-python3 /usr/bin/python3 /usr/local/bin/python3}; do
    if command -v "$p" >/dev/null && "$p" -c 'import torch' >/dev/null 2>&1; then
      PEER_PYTHON=$p
      PEER_NOTE="torch: $("$p" -c 'import sys, torch; print(f"{torch.__version__} (CUDA {torch.version.cuda}) in {sys.executable}")' 2>&1 | tail -1)"
      return
    fi
  done
  PEER_PYTHON=""
  PEER_NOTE="torch: no python3 here imports torch (${GPU_CHECK_PYTHON:-python3, /usr/bin/python3, /usr/local/bin/python3} tried; GPU_CHECK_PYTHON names another)"
}

# run_part NAME SECONDS live|quiet COMMAND...: runs a part within its limit, its output to its log (and
# to the console when live), and records status and time. A part killed at its limit keeps what it wrote.
run_part() {
  local name=$1 limit=$2 mode=$3 start=$SECONDS rc=0
  shift 3
  echo "== $name (limit ${limit} s)"
  if [ "$mode" = live ]; then
    if timeout --kill-after=10 "$limit" "$@" 2>&1 | tee "$LOGS/$name.log"; then rc=0; else rc=${PIPESTATUS[0]}; fi
  else
    timeout --kill-after=10 "$limit" "$@" > "$LOGS/$name.log" 2>&1 || rc=$?
  fi
  TOOK[$name]=$((SECONDS - start))
  case "$rc" in
    0) STATUS[$name]=ok ;;
    124 | 137) STATUS[$name]="TIMEOUT" ;;
    *) STATUS[$name]="FAILED ($rc)" ;;
  esac
  echo "== $name: ${STATUS[$name]} in ${TOOK[$name]} s (log: $LOGS/$name.log)"
}

left() { echo $((BUDGET - (SECONDS - RUN_START))); }

# Unpacks the archive into a folder: with tar and xz, or with Python's tarfile where xz is missing.
unpack() {
  if command -v xz >/dev/null; then
    tar -C "$1" -xJf "$ARCHIVE"
  elif command -v python3 >/dev/null; then
    python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2], **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))' "$ARCHIVE" "$1"
  else
    die "neither xz nor python3 is here to unpack $ARCHIVE"
  fi
}

# How long before a part's limit its own budget ends, so that the case running then can finish:
# an eighth of the limit, at least 15 s, at most half of it.
margin() {
  local m=$(($1 / 8))
  [ "$m" -ge 15 ] || m=15
  [ "$m" -le $(($1 / 2)) ] || m=$(($1 / 2))
  echo "$m"
}

run() {
  RUN_START=$SECONDS
  local device=${ENGINE_DEVICE:-cuda} quick=${GPU_CHECK_QUICK:-}
  case "$device" in
    cuda*) BUDGET=${GPU_CHECK_BUDGET:-480} ;;
    *) BUDGET=${GPU_CHECK_BUDGET:-300}; quick=${quick:-1} ;;
  esac
  [ "$quick" != 0 ] || quick=""
  [ -f "$ARCHIVE" ] || die "no archive at $ARCHIVE: run 'scripts/gpu-check.sh prepare' where the .NET SDK is, and carry artifacts/gpu-check/ here"
  if [ -n "${OUT:-}" ]; then
    mkdir -p "$OUT/gpu-check"
    exec > >(tee "$OUT/gpu-check/stdout.txt") 2>&1
  fi
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/gpu-check.XXXXXX")
  [ -n "${GPU_CHECK_KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT
  unpack "$WORK"
  local app=$WORK/gpu-check/app bench=$WORK/gpu-check/bench
  if ! "$bench/Engine.Bench" gpu-report --list-cases >/dev/null 2>&1; then
    # A temporary folder mounted noexec: unpack inside the working tree instead.
    rm -rf "$WORK"
    mkdir -p "$ARCHIVE_DIR"
    WORK=$(mktemp -d "$ARCHIVE_DIR/run.XXXXXX")
    unpack "$WORK"
    app=$WORK/gpu-check/app bench=$WORK/gpu-check/bench
    "$bench/Engine.Bench" gpu-report --list-cases >/dev/null 2>&1 || die "the unpacked benchmarks do not start: $("$bench/Engine.Bench" gpu-report --list-cases 2>&1 | head -1)"
  fi
  LOGS=$WORK/logs
  ROWS=$WORK/rows
  mkdir -p "$LOGS" "$ROWS"
  cd "$WORK"
  # NVIDIA_TF32_OVERRIDE=0: no TF32 in any CUDA library of these processes (cuBLAS, cuDNN), whatever they ask.
  export ENGINE_DEVICE=$device NVIDIA_TF32_OVERRIDE=0 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
  declare -gA STATUS TOOK
  local engine_s=${GPU_CHECK_ENGINE_S:-$((BUDGET * 45 / 100))} peer_s=${GPU_CHECK_PEER_S:-$((BUDGET * 20 / 100))}
  echo "gpu-check run: device $device, budget ${BUDGET} s (engine ${engine_s} s, peer ${peer_s} s, tests what is left, at most 180 s)${quick:+, quick sizes}; unpacked in $((SECONDS - RUN_START)) s into $WORK"

  MACHINE=()
  MACHINE+=("archive: $(tr '\n' ';' < "$WORK/gpu-check/BUILD" | sed 's/;$//; s/;/; /g')")
  MACHINE+=("host: $(uname -srm), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)")
  if command -v nvidia-smi >/dev/null; then
    MACHINE+=("nvidia-smi: $(nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader 2>&1 | head -4 | tr '\n' ';' | sed 's/;$//')")
  else
    MACHINE+=("nvidia-smi: not found")
  fi
  find_python
  case "$device" in cuda*) ensure_libcuda; find_cublas; MACHINE+=("$LIBCUDA_NOTE" "$CUBLAS_NOTE") ;; esac
  MACHINE+=("$PEER_NOTE")
  find_nccl
  MACHINE+=("$NCCL_NOTE")
  printf '%s\n' "${MACHINE[@]}"
  "$app/Engine.Cli" devices > "$LOGS/devices.log" 2>&1 || true

  # 1. The engine. Its budget ends a margin before its limit, so the case running then can finish.
  local quick_arg=() margin
  margin=$(margin "$engine_s")
  [ -z "$quick" ] || quick_arg=(--quick)
  run_part engine "$engine_s" live "$bench/Engine.Bench" gpu-report --device "$device" "${quick_arg[@]}" \
    --rows "$ROWS/engine.tsv" --predictions "$ROOT/bench/Engine.Bench/GpuCheck/predictions.tsv" --budget $((engine_s - margin))
  if grep -q "^gpu-report: FAILED: no '" "$LOGS/engine.log"; then
    sed 's/^/  /' "$LOGS/devices.log" >&2
    die "$(grep -m1 "^gpu-report: FAILED: no '" "$LOGS/engine.log" | sed 's/^gpu-report: FAILED: //')"
  fi

  # 2. The PyTorch peer, on the engine's list of cases (its built-in copy, for runs of its own, should match).
  "$bench/Engine.Bench" gpu-report --list-cases "${quick_arg[@]}" > "$ROWS/cases.tsv"
  if command -v "${PEER_PYTHON:-python3}" >/dev/null \
    && ! "${PEER_PYTHON:-python3}" "$ROOT/bench/peer/torch_peer.py" --list-cases "${quick_arg[@]}" 2>&1 | cmp -s - "$ROWS/cases.tsv"; then
    echo "gpu-check: note: torch_peer.py's built-in case list differs from the engine's (this run passes the engine's; update the copy in torch_peer.py)"
  fi
  if [ -n "$PEER_PYTHON" ]; then
    local torch_device=cuda${device#cuda}
    case "$device" in cuda*) ;; *) torch_device=cpu ;; esac
    margin=$(margin "$peer_s")
    run_part peer "$peer_s" live "$PEER_PYTHON" "$ROOT/bench/peer/torch_peer.py" --device "$torch_device" "${quick_arg[@]}" \
      --cases "$ROWS/cases.tsv" --rows "$ROWS/torch.tsv" --budget $((peer_s - margin))
  else
    TOOK[peer]=0
    case "$device" in
      cuda*) STATUS[peer]="FAILED (no torch)" ;;
      *) STATUS[peer]="skipped (no torch)" ;;
    esac
    echo "== peer: ${STATUS[peer]}: $PEER_NOTE" | tee "$LOGS/peer.log"
  fi

  # 3. NCCL through the engine's communicator, one rank (seconds; "not run" without libnccl.so.2).
  run_part nccl 45 live "$bench/Engine.Bench" nccl-smoke --device "$device"

  # 4. The kernel test classes, with what is left (at most 3 minutes).
  local test_limit test_args=() class classes
  test_limit=$(( $(left) - 10 )) # 10 s for the report
  [ "$test_limit" -le 180 ] || test_limit=180
  [ -z "${GPU_CHECK_TESTS_S:-}" ] || test_limit=$GPU_CHECK_TESTS_S
  [ "$test_limit" -ge 30 ] || test_limit=30
  read -r -a classes <<< "${GPU_CHECK_TEST_CLASSES:-${TEST_CLASSES[*]}}"
  for class in "${classes[@]}"; do test_args+=(-class "$class"); done
  run_part tests "$test_limit" quiet "$app/Engine.Tests" -noLogo -noColor -reporter verbose -xml "$WORK/tests.xml" "${test_args[@]}"

  # 5. One report.
  report | tee "$WORK/report.txt"
  if [ -n "${OUT:-}" ]; then
    cp "$WORK/report.txt" "$OUT/gpu-check/report.txt"
    cp -r "$LOGS" "$OUT/gpu-check/logs"
    cp -r "$ROWS" "$OUT/gpu-check/rows"
    [ ! -f "$WORK/tests.xml" ] || cp "$WORK/tests.xml" "$OUT/gpu-check/"
  fi
  local part failed=() cut=()
  for part in engine peer nccl tests; do
    case "${STATUS[$part]}" in
      ok | skipped*) ;;
      TIMEOUT) cut+=("$part") ;;
      *) failed+=("$part") ;;
    esac
  done
  # A part cut by its limit fails only when what it ran failed (a FAILED row, a failed test).
  grep -q 'FAILED' "$ROWS/engine.tsv" 2>/dev/null && [[ " ${cut[*]} " == *" engine "* ]] && failed+=(engine)
  grep -q 'FAILED' "$ROWS/torch.tsv" 2>/dev/null && [[ " ${cut[*]} " == *" peer "* ]] && failed+=(peer)
  grep -q '\[FAIL\]' "$LOGS/tests.log" 2>/dev/null && [[ " ${cut[*]} " == *" tests "* ]] && failed+=(tests)
  [ "${#failed[@]}" -eq 0 ] || die "what ran did not all pass: ${failed[*]} (see the report above)"
  echo "gpu-check: passed: everything that ran passed in $((SECONDS - RUN_START)) s${cut:+ (cut by their time limits, what they wrote is above: ${cut[*]})}"
}

# Rows of a rows file that hold a measurement (not the facts, not the cases left unrun).
measured() { awk -F'\t' '!/^#/ && $5 != "-"' "$1" 2>/dev/null | wc -l; }

# The one report: what ran where, each part's status, time and summary, then the joined rows.
report() {
  local tests_summary failed_tests
  tests_summary=$(grep -E 'Total: [0-9]+' "$LOGS/tests.log" | tail -1 | sed 's/^ *//' || true)
  if [ -z "$tests_summary" ]; then
    tests_summary="no summary (stopped before the end): $(grep -c '\[FINISHED\]\|\[PASS\]' "$LOGS/tests.log" || true) finished, $(grep -c '\[FAIL\]' "$LOGS/tests.log" || true) of them failed"
  fi
  failed_tests=$(grep -E '\[FAIL\]' "$LOGS/tests.log" | sed 's/^ */    /' | head -20 || true)
  echo
  echo "===== gpu-check report: device ${ENGINE_DEVICE}, $(date -u +%Y-%m-%dT%H:%MZ), $((SECONDS - RUN_START)) s in all ====="
  printf '%s\n' "${MACHINE[@]}"
  sed -n 's/^/devices: /p' "$LOGS/devices.log" | grep -v '^devices: *$' | head -8
  printf '%-7s %-20s %6s  %s\n' part status seconds summary
  printf '%-7s %-20s %6s  %s\n' engine "${STATUS[engine]}" "${TOOK[engine]}" "$(measured "$ROWS/engine.tsv") rows measured; $(tail -1 "$LOGS/engine.log")"
  printf '%-7s %-20s %6s  %s\n' peer "${STATUS[peer]}" "${TOOK[peer]}" "$(measured "$ROWS/torch.tsv") rows measured; $(tail -1 "$LOGS/peer.log")"
  printf '%-7s %-20s %6s  %s\n' nccl "${STATUS[nccl]}" "${TOOK[nccl]}" "$(grep '^nccl: ' "$LOGS/nccl.log" | tail -1 | sed 's/^nccl: //')"
  printf '%-7s %-20s %6s  %s\n' tests "${STATUS[tests]}" "${TOOK[tests]}" "$tests_summary"
  [ -z "$failed_tests" ] || { echo "  failed tests:"; echo "$failed_tests"; }
  echo
  "$WORK/gpu-check/bench/Engine.Bench" gpu-summary --rows "$ROWS/engine.tsv" --peer "$ROWS/torch.tsv" \
    --predictions "$ROOT/bench/Engine.Bench/GpuCheck/predictions.tsv" 2>&1 || cat "$ROWS/engine.tsv" "$ROWS/torch.tsv" 2>/dev/null
  echo "===== end of gpu-check report ====="
}

case "${1:-}" in
  prepare) prepare ;;
  run) run ;;
  *) echo "usage: scripts/gpu-check.sh prepare | run   (see the comment at the top of this script)" >&2; exit 2 ;;
esac
