#!/usr/bin/env bash
# Builds every guest program in programs/ into OUTDIR (default programs/bin)
# with Debian's riscv64-unknown-elf-gcc and picolibc:
#   programs/src/NAME.c   -> NAME.elf       Linux user mode, C, picolibc
#   programs/asm/NAME.S   -> NAME.elf       Linux user mode, assembly
#   programs/bare/NAME.c  -> bare_NAME.elf  bare metal (M-mode, HTIF), C
#   programs/bare/NAME.S  -> bare_NAME.elf  bare metal, assembly
# The output is byte-for-byte reproducible: no paths, dates or build ids.
#
# usage: scripts/build-programs.sh [OUTDIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/programs/bin}
CC=${CC:-riscv64-unknown-elf-gcc}
READELF=${READELF:-riscv64-unknown-elf-readelf}
PICOLIBC=/usr/lib/picolibc/riscv64-unknown-elf
SPECS=$PICOLIBC/picolibc.specs

die() {
	echo "build-programs.sh: $*" >&2
	exit 1
}
command -v "$CC" >/dev/null ||
	die "$CC not found: install the Debian package gcc-riscv64-unknown-elf"
command -v "$READELF" >/dev/null ||
	die "$READELF not found: install the Debian package binutils-riscv64-unknown-elf"
[ -f "$SPECS" ] && [ -f "$PICOLIBC/lib/release/rv64im/lp64/libc.a" ] ||
	die "picolibc for rv64im/lp64 not found under $PICOLIBC: install the Debian package picolibc-riscv64-unknown-elf"

mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$top/programs"

# rv64im multilib (no C extension); -misa-spec=2.2 keeps the CSR
# instructions and fence.i in the base ISA so that they assemble.
ARCH=(-march=rv64im -mabi=lp64 -misa-spec=2.2 -mcmodel=medany)
COMMON=("${ARCH[@]}" -static -nostartfiles -fno-pic -fno-stack-protector
	-fno-asynchronous-unwind-tables -ffile-prefix-map="$top"=.
	-Wl,--build-id=none -Wl,--strip-debug -Wall -Wextra -Wno-unused-parameter -Werror)
RT=runtime
LINUX=(--specs="$SPECS" "${COMMON[@]}" -O2 -I"$RT" -T"$RT/linux.ld" "$RT/crt0.S" "$RT/sys.c")
LINUX_ASM=("${COMMON[@]}" -nostdlib -I"$RT" -T"$RT/linux-asm.ld")
BARE=("${COMMON[@]}" -O2 -ffreestanding -nostdlib -I"$RT/bare" -T"$RT/bare/bare.ld"
	-Wl,--no-warn-rwx-segments)

# Checks what every program must be: ELF64, little endian, EM_RISCV,
# executable, and without the RVC flag (no compressed instructions).
check_elf() {
	local f=$1 ident machine type flags
	ident=$(od -An -tx1 -N6 "$f" | tr -d ' \n')
	type=$(od -An -tu2 -j16 -N2 "$f" | tr -d ' ')
	machine=$(od -An -tu2 -j18 -N2 "$f" | tr -d ' ')
	flags=$(od -An -tu4 -j48 -N4 "$f" | tr -d ' ')
	[ "$ident" = 7f454c460201 ] && [ "$type" = 2 ] && [ "$machine" = 243 ] && [ $((flags & 1)) = 0 ] ||
		die "$f: not a static ELF64 RISC-V executable without RVC (ident $ident type $type machine $machine flags $flags)"
	# An assembly source without a .file directive gets the compiler's
	# random temporary object name as its FILE symbol.
	if "$READELF" -sW "$f" | grep -Eq ' FILE .* cc[^ ]*\.o$'; then
		die "$f: a FILE symbol names a temporary object: give every .S file a .file directive"
	fi
	# Linux programs load at 0x10000, bare-metal ones at 0x80000000.
	local first
	first=$("$READELF" -lW "$f" | awk '$1 == "LOAD" { print $3; exit }')
	case $first in
	0x0000000000010000 | 0x0000000080000000) ;;
	*) die "$f: first PT_LOAD at $first, want 0x10000 or 0x80000000" ;;
	esac
}

build() {
	local name=$1
	shift
	"$CC" "$@" -o "$out/.$name.tmp"
	check_elf "$out/.$name.tmp"
	mv -f "$out/.$name.tmp" "$out/$name.elf"
	n=$((n + 1))
}

n=0
for src in src/*.c; do
	build "$(basename "$src" .c)" "${LINUX[@]}" "$src"
done
for src in asm/*.S; do
	build "$(basename "$src" .S)" "${LINUX_ASM[@]}" "$src"
done
for src in bare/*.c; do
	build "bare_$(basename "$src" .c)" "${BARE[@]}" "$RT/bare/crt.S" "$RT/bare/htif.c" "$src" -lgcc
done
for src in bare/*.S; do
	build "bare_$(basename "$src" .S)" "${BARE[@]}" "$src" "$RT/bare/htif.c" -lgcc
done
# muldiv.S once more, linked with segments that carry no flags (p_flags 0),
# as riscv-tests' ELFs are.
build bare_noflags "${COMMON[@]}" -O2 -ffreestanding -nostdlib -I"$RT/bare" -T"$RT/bare/noflags.ld" \
	bare/muldiv.S "$RT/bare/htif.c" -lgcc
echo "build-programs.sh: built $n programs in $out"
