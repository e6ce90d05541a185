#!/usr/bin/env bash
# The whole test suite: formatting, vet, unit tests, end-to-end tests against
# the cross compiler's programs and qemu-riscv64, and short fuzz runs.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v riscv64-unknown-elf-gcc >/dev/null || missing+=(gcc-riscv64-unknown-elf)
{ command -v riscv64-linux-gnu-gcc >/dev/null && [ -f /usr/riscv64-linux-gnu/lib/libc.so.6 ]; } ||
  missing+=(gcc-riscv64-linux-gnu libc6-dev-riscv64-cross)
[ -f /usr/lib/picolibc/riscv64-unknown-elf/picolibc.specs ] || missing+=(picolibc-riscv64-unknown-elf)
command -v qemu-riscv64 >/dev/null || missing+=(qemu-user)
command -v zstd >/dev/null || missing+=(zstd)
command -v gdb-multiarch >/dev/null || missing+=(gdb-multiarch)
command -v gcc >/dev/null || missing+=(gcc)
if [ ${#missing[@]} -gt 0 ]; then
  echo "scripts/test.sh: missing Debian packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "scripts/test.sh: gofmt, and go vet for linux/amd64, linux/arm64, darwin/arm64 and windows/amd64"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2
  echo "$unformatted" >&2
  exit 1
fi
go vet ./...
# Elsewhere rvsim runs on the interpreter: it must build, and its tests
# compile (go vet compiles them), on a system without the native-code
# engine (linux/arm64), and outside Linux, where the engine's files are
# left out too, and so are the tests that need Linux (its ioctl and
# madvise numbers, /dev/full): on darwin/arm64, and on windows/amd64,
# where those that need Unix (FIFOs, process groups) are left out as well.
GOOS=linux GOARCH=arm64 go vet ./...
GOOS=darwin GOARCH=arm64 go vet ./...
GOOS=windows GOARCH=amd64 go vet ./...
# The packages that run programs run once on each engine (RVSIM_ENGINE, the
# default of every machine they build): the interpreter, the reference, and
# the native-code engine where it runs (linux/amd64, where it must pass its
# self-check: a failing one would make every jit run an error). The other
# packages do not depend on the engine (jit's own tests compare both).
engine_pkgs=(./vmm/... ./cmd/... ./timetravel/...)
engines=(interp)
if [ "$(go env GOOS)/$(go env GOARCH)" = linux/amd64 ]; then engines+=(jit); fi
mapfile -t other_pkgs < <(go list ./... | grep -v -e '/vmm$' -e '/vmm/' -e '/cmd/' -e '/timetravel$' -e '/timetravel/')
echo "scripts/test.sh: the packages that do not run programs"
go test -count=1 "${other_pkgs[@]}"
for engine in "${engines[@]}"; do
  echo "scripts/test.sh: RVSIM_ENGINE=$engine ${engine_pkgs[*]}"
  RVSIM_ENGINE=$engine go test -count=1 "${engine_pkgs[@]}"
done
# The packages with goroutines or atomics (the recorder's writer, signal
# handling, blocked I/O given up on Machine.Stop, the gdb stub's reader of
# Ctrl-C, the debugger's interrupt), under the race detector, on the
# default engine; and the native-code engine (-short: fewer random
# streams), for the checks of unsafe.Pointer conversions (checkptr) that
# -race turns on.
echo "scripts/test.sh: race detector: vmm logfmt gdbstub timetravel cmd/rvsim jit"
go test -race -count=1 ./vmm ./logfmt ./gdbstub ./timetravel ./cmd/rvsim
go test -race -short -count=1 ./jit
# A smoke run of the benchmark harness (the figures are not checked here).
echo "scripts/test.sh: benchmark smoke run, then fuzzing"
go run ./scripts/bench -quick > /dev/null
# Short fuzz runs of every parser (the gdb packets too), of the hart, of the
# softfloat operations against their exact referee, of random FP and
# compressed instruction streams against qemu-riscv64, and of the debugger
# (breakpoints and saved state against single-stepping, seeks and reverse
# execution against a straight replay), and of the native-code engine against
# the interpreter (FuzzJIT). The seed corpora in each package's
# testdata/fuzz run with the unit tests above; these explore.
# A target that does not exist would pass silently: each must be found.
#
# Go 1.26's fuzzing coordinator can fail a target with a bare "context
# deadline exceeded" when -fuzztime runs out while a worker is busy (more
# likely on a loaded machine; golang/go#75804, fixed in Go 1.27): no input
# failed, none is written. Such a run is made again, once; any other
# failure, or a failing input written to testdata/fuzz, fails the suite.
fuzz() {
  local out
  out=$(mktemp)
  for try in 1 2; do
    echo "scripts/test.sh: fuzzing $2 ($1) for 10s"
    if go test -run '^$' -fuzz "^$2\$" -fuzztime 10s "$1" 2>&1 | tee "$out"; [ "${PIPESTATUS[0]}" -eq 0 ]; then
      rm -f "$out"
      return 0
    fi
    if [ "$try" -eq 1 ] && grep -q 'context deadline exceeded' "$out" &&
      ! grep -q -e 'Failing input written' -e '^panic' -e '_test.go:[0-9]*:' "$out"; then
      echo "scripts/test.sh: $1 $2 hit the fuzzing coordinator's deadline race (no failing input); running it again" >&2
      continue
    fi
    rm -f "$out"
    return 1
  done
}
for target in ./logfmt:FuzzReader ./logfmt:FuzzSegmentPayload ./vmm:FuzzParse ./vmm:FuzzSyscall ./rv64:FuzzDecodeExecute \
  ./rv64:FuzzMixedBlocks ./softfloat:FuzzF64Arith ./softfloat:FuzzF32Arith ./softfloat:FuzzConvert ./softfloat:FuzzCompare \
  ./vmm:FuzzDiffQemu ./vmm:FuzzSemihost ./rv64:FuzzBreakpoints ./rv64:FuzzSaveRestore ./gdbstub:FuzzPackets \
  ./gdbstub:FuzzServe ./vmm:FuzzSeek ./timetravel:FuzzEngine ./jit:FuzzJIT; do
  grep -q "^func ${target#*:}(" "${target%%:*}"/*_test.go || {
    echo "scripts/test.sh: no fuzz target ${target#*:} in ${target%%:*}" >&2
    exit 1
  }
  fuzz "${target%%:*}" "${target#*:}"
done
echo "scripts/test.sh: all tests passed"
