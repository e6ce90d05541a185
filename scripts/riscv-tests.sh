#!/usr/bin/env bash
# Builds the riscv-tests ISA suites rvsim implements (the physical-memory
# "-p-" tests of rv64ui, rv64um, rv64ua, rv64uc, rv64uf and rv64ud) with
# their own Makefile and riscv64-unknown-elf-gcc, unmodified, then runs them
# under rvsim with `go test ./vmm -run TestRISCVTests`: one subtest per ELF,
# passing when the test writes 1 to tohost. For developers; CI does not run
# it, and riscv-tests never enters this repository.
#
# usage: scripts/riscv-tests.sh RISCV_TESTS [RISCV_TEST_ENV [OUTDIR]]
#   RISCV_TESTS     a checkout of github.com/riscv-software-src/riscv-tests
#   RISCV_TEST_ENV  a checkout of github.com/riscv/riscv-test-env, if the
#                   first's env/ submodule is not checked out
#   OUTDIR          where the ELFs go (default: a temporary directory, kept)
# TESTRUN picks the tests (default TestRISCVTests; e.g.
# TESTRUN=TestRISCVTests/rv64uf). The output is the failing tests, why they
# failed, and the counts passed per suite.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
die() {
	echo "riscv-tests.sh: $*" >&2
	exit 1
}
[ $# -ge 1 ] && [ $# -le 3 ] || die "usage: scripts/riscv-tests.sh RISCV_TESTS [RISCV_TEST_ENV [OUTDIR]]"
[ -d "$1" ] || die "$1: no such directory: give a checkout of github.com/riscv-software-src/riscv-tests"
tests=$(cd "$1" && pwd)
[ -f "$tests/isa/Makefile" ] || die "$tests: no isa/Makefile: not a riscv-tests checkout"
env=${2:-$tests/env}
[ -d "$env" ] || die "$env: no such directory: give a checkout of github.com/riscv/riscv-test-env"
[ -f "$env/p/riscv_test.h" ] || die "$env: no p/riscv_test.h: give a riscv-test-env checkout (or check out the env submodule)"
env=$(cd "$env" && pwd)
out=${3:-$(mktemp -d -t rvsim-riscv-tests.XXXXXX)}
mkdir -p "$out"
out=$(cd "$out" && pwd)
PREFIX=${RISCV_PREFIX:-riscv64-unknown-elf-}
command -v "${PREFIX}gcc" >/dev/null || die "${PREFIX}gcc not found: install the Debian package gcc-riscv64-unknown-elf"

# The Makefile looks for the environment at isa/../env; a private copy of
# isa/ next to a link to env keeps the checkouts untouched.
work=$(mktemp -d -t rvsim-riscv-tests-src.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -r "$tests/isa" "$work/isa"
ln -s "$env" "$work/env"
suites="rv64ui rv64um rv64ua rv64uc rv64uf rv64ud"
targets=""
for s in $suites; do
	targets="$targets \$(${s}_p_tests)"
done
printf 'rvsim-ptests:%s\n' "$targets" >"$work/rvsim.mk"
make -s -C "$out" -f "$work/isa/Makefile" -f "$work/rvsim.mk" \
	src_dir="$work/isa" XLEN=64 RISCV_PREFIX="$PREFIX" \
	-j"$(nproc)" rvsim-ptests
echo "riscv-tests.sh: built $(ls "$out" | grep -c -- '-p-') tests in $out" >&2

cd "$top"
status=0
RVSIM_RISCV_TESTS="$out" go test ./vmm -run "${TESTRUN:-TestRISCVTests}" -count=1 -v >"$work/log" 2>&1 || status=$?
grep -vE '^(=== RUN|    --- PASS)' "$work/log"
exit $status
