#!/usr/bin/env bash
# The GPU benchmark suite, in two parts, for a GPU machine that has the NVIDIA driver and CUDA but
# no .NET SDK and no network:
#
#   scripts/gpu-check.sh prepare   (here, with the .NET 10 SDK) publishes the CLI, the tests and the
#                                  benchmarks self-contained for linux-x64 into one archive,
#                                  artifacts/gpu-check/gpu-check.tar.xz (git-ignored; under 60 MiB),
#                                  and prints its size.
#   scripts/gpu-check.sh run       (there, from the working tree that carries the archive) unpacks it
#                                  into a temporary folder and runs, within a time budget: the CLI's
#                                  selfcheck, the GEMM, convolution and training-step benchmarks
#                                  (bench gpu-report: GFLOP/s, fraction of the FP32 peak, cuBLAS SGEMM
#                                  in the same run where libcublas loads, images/s per model), a short
#                                  train and the test suite, all on ENGINE_DEVICE (default cuda); then
#                                  prints one report. With $OUT set, the report, this output and the
#                                  logs are also written under $OUT/gpu-check/.
#
# Dry run on a machine without a GPU: ENGINE_DEVICE=cpu scripts/gpu-check.sh run (the benchmarks
# then use quick sizes). A part that cannot have its device fails loudly: one line, exit code 1.
#
# Settings (environment): ENGINE_DEVICE (cuda, cuda:N, cpu, opencl), GPU_CHECK_ARCHIVE (the archive),
# GPU_CHECK_BUDGET (seconds for the whole run: default 470 on CUDA, 3600 otherwise; the test suite
# gets what the other parts leave), GPU_CHECK_QUICK=1 (quick benchmark sizes), GPU_CHECK_KEEP=1
# (keep the unpacked folder), GPU_CHECK_TEST_ARGS (extra arguments for the xunit.v3 test executable,
# e.g. '-class Engine.Tests.Ops.BlasTests').
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ARCHIVE_DIR=$ROOT/artifacts/gpu-check
ARCHIVE=${GPU_CHECK_ARCHIVE:-$ARCHIVE_DIR/gpu-check.tar.xz}
LIMIT_MIB=60

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
  rm -rf "$stage"
  local bytes
  bytes=$(stat -c %s "$ARCHIVE")
  echo "gpu-check prepare: $ARCHIVE: $(awk -v b="$bytes" 'BEGIN { printf "%.1f MiB (%d bytes)", b / 1048576, b }') in $((SECONDS - start)) s"
  [ "$bytes" -lt $((LIMIT_MIB * 1048576)) ] || die "the archive is over $LIMIT_MIB MiB; it would not travel to the GPU machine"
}

# --- run ---------------------------------------------------------------------------------------

# Adds the folder of a libcublas that ILGPU's binding can load (.so.12, .11 or .10) to the loader
# path: the CUDA toolkit's lib64, the system's, or a Python wheel's (nvidia/cublas/lib); says which
# in CUBLAS_NOTE.
find_cublas() {
  local d candidates=()
  local found
  found=$(ldconfig -p 2>/dev/null | grep -oE 'libcublas\.so\.1[0-2]( |$)' | sort -r | head -1 || true)
  if [ -n "$found" ]; then
    CUBLAS_NOTE="libcublas: on the loader path ($found)"
    return
  fi
  candidates+=(/usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/local/cuda-*/lib64 /usr/local/cuda-*/targets/x86_64-linux/lib /usr/lib/x86_64-linux-gnu /opt/nvidia/*/lib64)
  if command -v python3 >/dev/null; then
    while IFS= read -r d; do candidates+=("$d/nvidia/cublas/lib"); done < <(python3 -c 'import site, sys; print("\n".join(site.getsitepackages() + [site.getusersitepackages()]))' 2>/dev/null || true)
  fi
  for d in "${candidates[@]}"; do
    local lib
    lib=$(compgen -G "$d/libcublas.so.1[0-2]" | sort -r | head -1 || true)
    if [ -n "$lib" ]; then
      export LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
      CUBLAS_NOTE="libcublas: $lib"
      return
    fi
  done
  CUBLAS_NOTE="libcublas: no libcublas.so.12, .11 or .10 found (the report measures no cuBLAS anchor)"
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

# run_part NAME SECONDS COMMAND...: runs a part with a time limit, logs its output, records status and time.
run_part() {
  local name=$1 limit=$2 start=$SECONDS rc=0
  shift 2
  echo "== $name (limit ${limit} s): $*"
  timeout --kill-after=10 "$limit" "$@" > "$LOGS/$name.log" 2>&1 || rc=$?
  local took=$((SECONDS - start))
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    STATUS[$name]="TIMEOUT"
  elif [ "$rc" -eq 0 ]; then
    STATUS[$name]="ok"
  else
    STATUS[$name]="FAILED ($rc)"
  fi
  TOOK[$name]=$took
  echo "   $name: ${STATUS[$name]} in ${took} s (log: $LOGS/$name.log)"
  return 0
}

left() { echo $((BUDGET - (SECONDS - RUN_START))); }

run() {
  RUN_START=$SECONDS
  local device=${ENGINE_DEVICE:-cuda} quick=${GPU_CHECK_QUICK:-}
  case "$device" in cuda*) BUDGET=${GPU_CHECK_BUDGET:-470} ;; *) BUDGET=${GPU_CHECK_BUDGET:-3600}; quick=${quick:-1} ;; esac
  [ -f "$ARCHIVE" ] || die "no archive at $ARCHIVE: run 'scripts/gpu-check.sh prepare' where the .NET SDK is, and carry artifacts/gpu-check/ here"
  if [ -n "${OUT:-}" ]; then
    mkdir -p "$OUT/gpu-check"
    exec > >(tee "$OUT/gpu-check/stdout.txt") 2>&1
  fi
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/gpu-check.XXXXXX")
  [ -n "${GPU_CHECK_KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT
  tar -C "$WORK" -xJf "$ARCHIVE"
  local app=$WORK/gpu-check/app bench=$WORK/gpu-check/bench
  if ! "$app/Engine.Cli" --help >/dev/null 2>&1; then
    # A temporary folder mounted noexec: unpack inside the working tree instead.
    rm -rf "$WORK"
    mkdir -p "$ARCHIVE_DIR"
    WORK=$(mktemp -d "$ARCHIVE_DIR/run.XXXXXX")
    tar -C "$WORK" -xJf "$ARCHIVE"
    app=$WORK/gpu-check/app bench=$WORK/gpu-check/bench
    "$app/Engine.Cli" --help >/dev/null 2>&1 || die "the unpacked CLI does not start: $("$app/Engine.Cli" --help 2>&1 | head -1)"
  fi
  LOGS=$WORK/logs
  mkdir -p "$LOGS"
  cd "$WORK"
  export ENGINE_DEVICE=$device NVIDIA_TF32_OVERRIDE=0 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
  declare -gA STATUS TOOK
  echo "gpu-check run: device $device, budget ${BUDGET} s, unpacked in $((SECONDS - RUN_START)) s into $WORK"

  local machine=()
  machine+=("archive: $(tr '\n' ';' < "$WORK/gpu-check/BUILD" | sed 's/;$//; s/;/; /g')")
  machine+=("host: $(uname -srm), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)")
  if command -v nvidia-smi >/dev/null; then
    machine+=("nvidia-smi: $(nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader 2>&1 | head -4 | tr '\n' ';' | sed 's/;$//')")
  else
    machine+=("nvidia-smi: not found")
  fi
  case "$device" in cuda*) ensure_libcuda; find_cublas; machine+=("$LIBCUDA_NOTE" "$CUBLAS_NOTE") ;; esac
  printf '%s\n' "${machine[@]}"

  # The device gate: devices lists what ILGPU sees; selfcheck fails with one line when the device is absent.
  "$app/Engine.Cli" devices > "$LOGS/devices.log" 2>&1 || true
  run_part selfcheck 120 "$app/Engine.Cli" selfcheck --device "$device" --size 1024
  if grep -qE "^error: .*(not available|no .* device)" "$LOGS/selfcheck.log"; then
    cat "$LOGS/devices.log" >&2
    die "no '$device' device here: $(grep -m1 '^error:' "$LOGS/selfcheck.log")"
  fi

  local bench_args=(gpu-report --device "$device" --report "$WORK/bench-report.txt" --artifacts "$WORK/bdn")
  [ -z "$quick" ] || bench_args+=(--quick)
  local bench_limit=$(( $(left) - 150 ))
  [ "$bench_limit" -le 300 ] || case "$device" in cuda*) bench_limit=300 ;; esac
  [ "$bench_limit" -ge 60 ] || bench_limit=60
  run_part benchmarks "$bench_limit" "$bench/Engine.Bench" "${bench_args[@]}"
  if grep -q "gpu-report: FAILED: Device" "$LOGS/benchmarks.log"; then
    die "no '$device' device for the benchmarks: $(grep -m1 'gpu-report: FAILED' "$LOGS/benchmarks.log")"
  fi

  run_part train 120 "$app/Engine.Cli" train resnet --device "$device" --epochs 2 --limit 2000 --plain -o "$WORK/runs/resnet"

  local test_limit
  test_limit=$(left)
  [ "$test_limit" -ge 60 ] || test_limit=60
  # shellcheck disable=SC2086
  run_part tests "$test_limit" "$app/Engine.Tests" -noLogo -noColor -reporter verbose -xml "$WORK/tests.xml" ${GPU_CHECK_TEST_ARGS:-}

  report > "$WORK/report.txt"
  cat "$WORK/report.txt"
  if [ -n "${OUT:-}" ]; then
    cp "$WORK/report.txt" "$OUT/gpu-check/report.txt"
    cp -r "$LOGS" "$OUT/gpu-check/logs"
    [ ! -f "$WORK/tests.xml" ] || cp "$WORK/tests.xml" "$OUT/gpu-check/"
    find "$WORK/bdn" -name '*.json' -exec cp {} "$OUT/gpu-check/" \; 2>/dev/null || true
  fi
  local part failed=0
  for part in selfcheck benchmarks train tests; do
    [ "${STATUS[$part]}" = ok ] || failed=1
  done
  [ "$failed" -eq 0 ] || die "a part did not pass (see the report above)"
}

# The one report: what ran where, each part's status, time and summary, then the benchmark report.
report() {
  local selfcheck_summary train_summary tests_summary
  selfcheck_summary=$(grep -E '^GEMM kernel:|^Throughput|Self-check|^error:' "$LOGS/selfcheck.log" | tr '\n' ';' | sed 's/;$//; s/;/; /g' || true)
  train_summary=$(grep -E 'test accuracy .*;' "$LOGS/train.log" | tail -1 || true)
  [ -n "$train_summary" ] || train_summary=$(grep -E '^error:' "$LOGS/train.log" | head -1 || true)
  local last_epoch
  last_epoch=$(grep -E '^epoch [0-9]+/[0-9]+  loss' "$LOGS/train.log" | tail -1 | grep -oE '[0-9.]+ img/s' || true)
  [ -z "$last_epoch" ] || train_summary="$train_summary; last epoch $last_epoch"
  tests_summary=$(grep -E 'Total: [0-9]+' "$LOGS/tests.log" | tail -1 | sed 's/^ *//' || true)
  if [ -z "$tests_summary" ]; then
    tests_summary="no summary (stopped before the end): $(grep -c '\[FINISHED\]' "$LOGS/tests.log" || true) finished, $(grep -c '\[FAIL\]' "$LOGS/tests.log" || true) of them failed"
  fi
  local failed_tests
  failed_tests=$(grep -E '\[FAIL\]' "$LOGS/tests.log" | sed 's/^ */    /' | head -20 || true)
  echo
  echo "===== gpu-check report: device ${ENGINE_DEVICE}, $(date -u +%Y-%m-%dT%H:%MZ), $((SECONDS - RUN_START)) s in all ====="
  printf '%s\n' "${machine[@]}"
  sed -n 's/^/devices: /p' "$LOGS/devices.log" | grep -v '^devices: *$' | head -8
  printf '%-11s %-12s %6s  %s\n' part status seconds summary
  printf '%-11s %-12s %6s  %s\n' selfcheck "${STATUS[selfcheck]}" "${TOOK[selfcheck]}" "$selfcheck_summary"
  printf '%-11s %-12s %6s  %s\n' benchmarks "${STATUS[benchmarks]}" "${TOOK[benchmarks]}" "below"
  printf '%-11s %-12s %6s  %s\n' train "${STATUS[train]}" "${TOOK[train]}" "$train_summary"
  printf '%-11s %-12s %6s  %s\n' tests "${STATUS[tests]}" "${TOOK[tests]}" "$tests_summary"
  [ -z "$failed_tests" ] || { echo "  failed tests:"; echo "$failed_tests"; }
  echo
  if [ -f "$WORK/bench-report.txt" ]; then
    cat "$WORK/bench-report.txt"
  else
    echo "benchmarks: no report; the log's last lines:"
    tail -5 "$LOGS/benchmarks.log" | sed 's/^/  /'
  fi
  echo "===== end of gpu-check report ====="
}

case "${1:-}" in
  prepare) prepare ;;
  run) run ;;
  *) echo "usage: scripts/gpu-check.sh prepare | run   (see the comment at the top of this script)" >&2; exit 2 ;;
esac
