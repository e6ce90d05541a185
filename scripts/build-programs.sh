#!/usr/bin/env bash
# Builds every guest program in programs/ into OUTDIR (default programs/bin)
# with Debian's riscv64-unknown-elf-gcc and picolibc, and Debian's
# riscv64-linux-gnu-gcc and glibc:
#   programs/src/NAME.c   -> NAME.elf       Linux user mode, C, picolibc, rv64im
#                            (bench also as bench_rv64imac.elf and bench_rv64gc.elf)
#   programs/fp/NAME.c    -> NAME.elf       Linux user mode, C, picolibc, rv64gc
#                            (floating point)
#   programs/asm/NAME.S   -> NAME.elf       Linux user mode, assembly
#   programs/bare/NAME.c  -> bare_NAME.elf  bare metal (M-mode, HTIF), C
#   programs/bare/NAME.S  -> bare_NAME.elf  bare metal, assembly
#   programs/glibc/NAME.c -> glibc_NAME_static.elf, glibc_NAME_dynamic.elf
#                            Linux user mode, glibc, rv64gc (static; dynamic PIE)
#   programs/semihost/NAME.c -> semihost_NAME.elf, semihost_NAME_rv64im.elf
#                            bare metal, picolibc --oslib=semihost --crt0=semihost
#                            (rv64gc; rv64im)
#   programs/debug/NAME.c -> debug_NAME.elf: programs to debug in gdb, built
#                            as their kind (linux and long: Linux, rv64im; bare:
#                            bare metal; glibc: glibc, rv64gc, static) with
#                            -g -O0, their debug information kept
# The output is byte-for-byte reproducible: no paths, dates or build ids.
#
# usage: scripts/build-programs.sh [OUTDIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/programs/bin}
CC=${CC:-riscv64-unknown-elf-gcc}
GNUCC=${GNUCC:-riscv64-linux-gnu-gcc}
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
command -v "$GNUCC" >/dev/null ||
	die "$GNUCC not found: install the Debian package gcc-riscv64-linux-gnu"

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

# Debian's glibc toolchain with its defaults (-march=rv64gc -mabi=lp64d,
# PIE unless -static); libatomic for the 8- and 16-bit atomics.
GLIBC=(-O2 -ffile-prefix-map="$top"=. -Wl,--build-id=none -Wl,--strip-debug -Wl,--as-needed
	-Wall -Wextra -Werror)
GLIBC_LIBS=(-lm -latomic)
# picolibc's semihosting recipe, as a user writes it, with picolibc's
# semihosting crt0 (the program's arguments from SYS_GET_CMDLINE), plus
# reproducibility.
SEMIHOST=(--specs="$SPECS" --oslib=semihost --crt0=semihost -O2 -ffile-prefix-map="$top"=.
	-Wl,--build-id=none -Wl,--strip-debug -Wall -Wextra -Werror)

# Checks what every program must be: ELF64, little endian, EM_RISCV,
# an executable of the expected type (2 static, 3 position-independent)
# with the expected ELF flags (e_flags: 0 for rv64im/lp64, 5 for RVC and the
# double-float ABI, 1 for RVC alone), whose first PT_LOAD is at the expected
# address (0x10000 Linux, 0x80000000 bare metal, "any" for picolibc's own
# layout and position-independent executables).
check_elf() {
	local f=$1 want_type=${2:-2} want_flags=${3:-0} want_load=${4:-0x10000|0x80000000}
	local ident machine type flags
	ident=$(od -An -tx1 -N6 "$f" | tr -d ' \n')
	type=$(od -An -tu2 -j16 -N2 "$f" | tr -d ' ')
	machine=$(od -An -tu2 -j18 -N2 "$f" | tr -d ' ')
	flags=$(od -An -tu4 -j48 -N4 "$f" | tr -d ' ')
	[ "$ident" = 7f454c460201 ] && [ "$type" = "$want_type" ] && [ "$machine" = 243 ] && [ "$flags" = "$want_flags" ] ||
		die "$f: not an ELF64 RISC-V executable of type $want_type with flags $want_flags (ident $ident type $type machine $machine flags $flags)"
	# An assembly source without a .file directive gets the compiler's
	# random temporary object name as its FILE symbol.
	if "$READELF" -sW "$f" | grep -Eq ' FILE .* cc[^ ]*\.o$'; then
		die "$f: a FILE symbol names a temporary object: give every .S file a .file directive"
	fi
	[ "$want_load" = any ] && return
	local first
	first=$("$READELF" -lW "$f" | awk '$1 == "LOAD" { print $3; exit }')
	case "|$want_load|" in
	*"|$(printf '%#x' "$first")|"*) ;;
	*) die "$f: first PT_LOAD at $first, want $want_load" ;;
	esac
}

# build NAME [--cc COMPILER] [--check TYPE FLAGS LOAD] ARGS...: compiles ARGS into NAME.elf.
build() {
	local name=$1 cc=$CC check=()
	shift
	[ "$1" = --cc ] && { cc=$2; shift 2; }
	[ "$1" = --check ] && { check=("$2" "$3" "$4"); shift 4; }
	"$cc" "$@" -o "$out/.$name.tmp"
	check_elf "$out/.$name.tmp" "${check[@]}"
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
# One picolibc program with the project's runtime for the other library
# variants: with the C extension (rv64imac/lp64) and as rv64gc (lp64d).
LINUX_GC=("${LINUX[@]/#-march=rv64im/-march=rv64imafdc}")
LINUX_GC=("${LINUX_GC[@]/#-mabi=lp64/-mabi=lp64d}")
build bench_rv64imac --check 2 1 0x10000 "${LINUX[@]/#-march=rv64im/-march=rv64imac}" src/bench.c
build bench_rv64gc --check 2 5 0x10000 "${LINUX_GC[@]}" src/bench.c
# Floating-point programs: picolibc and the project's runtime, as rv64gc.
for src in fp/*.c; do
	build "$(basename "$src" .c)" --check 2 5 0x10000 "${LINUX_GC[@]}" "$src" -lm
done
# glibc programs, each static and dynamic.
for src in glibc/*.c; do
	name=glibc_$(basename "$src" .c)
	build "${name}_static" --cc "$GNUCC" --check 2 5 0x10000 "${GLIBC[@]}" -static "$src" "${GLIBC_LIBS[@]}"
	build "${name}_dynamic" --cc "$GNUCC" --check 3 5 any "${GLIBC[@]}" "$src" "${GLIBC_LIBS[@]}"
done
# picolibc semihosting programs, with the compiler's default -march
# (rv64imafdc, lp64d) and as rv64im.
for src in semihost/*.c; do
	[ -e "$src" ] || continue
	name=semihost_$(basename "$src" .c)
	build "$name" --check 2 5 any "${SEMIHOST[@]}" "$src"
	build "${name}_rv64im" --check 2 0 any "${SEMIHOST[@]}" -march=rv64im -mabi=lp64 "$src"
done
# Programs to debug in gdb: each kind's flags without -O2 and
# --strip-debug, with -g -O0 (every variable lives in memory, every line
# has its code); the file prefix map keeps the paths in the debug
# information relative to the checkout, ./programs/debug/NAME.c (and the
# assembler gets it too, for the runtime's .S files).
debug_flags() {
	local a
	DBG=()
	for a in "$@"; do
		case $a in
		-O2 | -Wl,--strip-debug) ;;
		*) DBG+=("$a") ;;
		esac
	done
	DBG+=(-g -O0 -Wa,--debug-prefix-map="$top"=.)
}
debug_flags "${LINUX[@]}"
build debug_linux "${DBG[@]}" debug/linux.c
build debug_long "${DBG[@]}" debug/long.c
debug_flags "${BARE[@]}"
build debug_bare "${DBG[@]}" "$RT/bare/crt.S" "$RT/bare/htif.c" debug/bare.c -lgcc
debug_flags "${GLIBC[@]}"
build debug_glibc --cc "$GNUCC" --check 2 5 0x10000 "${DBG[@]}" -static debug/glibc.c "${GLIBC_LIBS[@]}"
echo "build-programs.sh: built $n programs in $out"
