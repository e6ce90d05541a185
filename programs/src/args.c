/* The initial stack as the loader leaves it: argc, argv[] and its NULL,
 * envp[] and its NULL, then the auxiliary vector. Prints the arguments and
 * checks the auxiliary vector's entries that every loader fills the same
 * way. Of the environment it prints only variables starting with
 * RVSIM_TEST_ (qemu-riscv64 passes on the host's environment; rvsim passes
 * only --env). Exits 1 if a check fails. */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <elf.h>

extern char _start[];

#define AT_NULL_ 0
#define AT_PHDR_ 3
#define AT_PHENT_ 4
#define AT_PHNUM_ 5
#define AT_PAGESZ_ 6
#define AT_ENTRY_ 9
#define AT_HWCAP_ 16
#define AT_RANDOM_ 25
#define AT_EXECFN_ 31

static int failed;

static void check(const char *what, int ok)
{
	printf("%-40s %s\n", what, ok ? "ok" : "FAILED");
	if (!ok)
		failed = 1;
}

int main(int argc, char **argv, char **envp)
{
	printf("argc %d\n", argc);
	/* argv[0] is the program's path as the caller gave it; print only
	 * its last component. */
	if (argc > 0) {
		const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
		printf("argv[0] ends in \"%s\"\n", base);
	}
	for (int i = 1; i < argc; i++)
		printf("argv[%d] (%zu bytes) \"%s\"\n", i, strlen(argv[i]), argv[i]);
	check("argv[argc] is NULL", argv[argc] == NULL);
	check("envp follows argv", envp == argv + argc + 1);
	char **e = envp;
	int nenv = 0;
	for (; *e; e++) {
		nenv++;
		if (strncmp(*e, "RVSIM_TEST_", 11) == 0)
			printf("env %s\n", *e);
	}
	check("strings lie above the vectors", argc == 0 || (uintptr_t)argv[0] > (uintptr_t)e);

	uint64_t *aux = (uint64_t *)(e + 1);
	uint64_t phdr = 0, phent = 0, phnum = 0, pagesz = 0, entry = 0, hwcap = 0, random = 0, execfn = 0;
	int n = 0;
	for (; aux[0] != AT_NULL_ && n < 64; aux += 2, n++) {
		switch (aux[0]) {
		case AT_PHDR_: phdr = aux[1]; break;
		case AT_PHENT_: phent = aux[1]; break;
		case AT_PHNUM_: phnum = aux[1]; break;
		case AT_PAGESZ_: pagesz = aux[1]; break;
		case AT_ENTRY_: entry = aux[1]; break;
		case AT_HWCAP_: hwcap = aux[1]; break;
		case AT_RANDOM_: random = aux[1]; break;
		case AT_EXECFN_: execfn = aux[1]; break;
		}
	}
	check("auxv ends with AT_NULL", aux[0] == AT_NULL_);
	check("AT_PAGESZ is 4096", pagesz == 4096);
	check("AT_ENTRY is _start", entry == (uintptr_t)_start);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)0x10000;
	check("ELF header mapped at 0x10000", memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0);
	check("AT_PHDR is the program headers", phdr == 0x10000 + eh->e_phoff);
	check("AT_PHENT and AT_PHNUM", phent == sizeof(Elf64_Phdr) && phnum == eh->e_phnum);
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(uintptr_t)phdr;
	check("first program header is PT_LOAD at 0x10000", phdr && ph[0].p_type == PT_LOAD && ph[0].p_vaddr == 0x10000);
	check("AT_HWCAP has I and M", (hwcap & (1u << ('I' - 'A') | 1u << ('M' - 'A'))) == (1u << ('I' - 'A') | 1u << ('M' - 'A')));
	check("AT_RANDOM points at the stack", random > (uintptr_t)e);
	const char *fn = (const char *)(uintptr_t)execfn;
	check("AT_EXECFN ends in args.elf", fn && strlen(fn) >= 8 && strcmp(fn + strlen(fn) - 8, "args.elf") == 0);
	int sp_aligned = ((uintptr_t)__builtin_frame_address(0) & 15) == 0;
	check("stack 16-byte aligned", sp_aligned);
	printf("%s\n", failed ? "some checks FAILED" : "all checks passed");
	return failed;
}
