#!/usr/bin/env bash
# Builds every guest program in programs/ into OUTDIR (default programs/bin)
# with Debian's riscv64-unknown-elf-gcc and picolibc. The output is
# byte-for-byte reproducible.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/programs/bin}
CC=${CC:-riscv64-unknown-elf-gcc}
SPECS=/usr/lib/picolibc/riscv64-unknown-elf/picolibc.specs

if ! command -v "$CC" >/dev/null; then
  echo "build-programs.sh: $CC not found: install the Debian package gcc-riscv64-unknown-elf" >&2
  exit 1
fi
if [ ! -f "$SPECS" ]; then
  echo "build-programs.sh: $SPECS not found: install the Debian package picolibc-riscv64-unknown-elf" >&2
  exit 1
fi
mkdir -p "$out"
cd "$top/programs"

# rv64im multilib; -misa-spec=2.2 keeps CSR instructions and fence.i in the
# base ISA so that they assemble.
ARCH=(-march=rv64im -mabi=lp64 -misa-spec=2.2 -mcmodel=medany)
COMMON=("${ARCH[@]}" -static -nostartfiles -ffreestanding -fno-pic -fno-stack-protector
  -ffile-prefix-map="$top"=. -Wl,--build-id=none -Wl,--discard-all -Wall -Werror)
RT=runtime
LINUX=(--specs="$SPECS" "${COMMON[@]}" -O2 -I"$RT" -T"$RT/linux.ld" "$RT/crt0.S" "$RT/sys.c")
BARE=(-Wl,--no-warn-rwx-segments --specs="$SPECS" "${COMMON[@]}" -O2 -nostdlib -I"$RT/bare" -T"$RT/bare/bare.ld" "$RT/bare/crt.S" "$RT/bare/htif.c")
ASM=("${ARCH[@]}" -static -nostdlib -nostartfiles -Wl,--build-id=none -Wl,--discard-all -ffile-prefix-map="$top"=.)

# Linux user-mode programs in C.
for src in src/*.c; do
  name=$(basename "$src" .c)
  "$CC" "${LINUX[@]}" "$src" -o "$out/$name.elf"
done
# Linux user-mode programs in assembly (their own _start).
for src in asm/*.S; do
  [ -e "$src" ] || continue
  name=$(basename "$src" .S)
  "$CC" "${ASM[@]}" -Wl,-Ttext=0x10000 "$src" -o "$out/$name.elf"
done
# Bare-metal programs: C with the bare runtime, assembly on their own.
for src in bare/*.c; do
  [ -e "$src" ] || continue
  name=$(basename "$src" .c)
  "$CC" "${BARE[@]}" "$src" -o "$out/bare_$name.elf"
done
for src in bare/*.S; do
  [ -e "$src" ] || continue
  name=$(basename "$src" .S)
  "$CC" "${ASM[@]}" -I"$RT/bare" -Wl,--no-warn-rwx-segments -T"$RT/bare/bare.ld" "$src" -o "$out/bare_$name.elf"
done
