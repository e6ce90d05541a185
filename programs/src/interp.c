/* A small stack bytecode interpreter running a counting loop. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

enum { PUSH, ADD, SUB, MUL, MOD, DUP, SWAP, JNZ, LOAD, STORE, HALT };

int main(int argc, char **argv)
{
	int64_t n = argc > 1 ? atoll(argv[1]) : 20000;
	/* acc = 0; i = n; do { acc = (acc * 31 + i) % 1000003; i = i - 1 } while (i) */
	int64_t prog[] = {
		PUSH, 0, STORE, 0, PUSH, 0, STORE, 1, /* vars[1] = n below */
		LOAD, 0, PUSH, 31, MUL, LOAD, 1, ADD, PUSH, 1000003, MOD, STORE, 0,
		LOAD, 1, PUSH, 1, SUB, DUP, STORE, 1, JNZ, 8, HALT,
	};
	prog[5] = n;
	int64_t stack[64], vars[4] = {0};
	int sp = 0, pc = 0;
	uint64_t steps = 0;
	for (;;) {
		steps++;
		switch (prog[pc++]) {
		case PUSH: stack[sp++] = prog[pc++]; break;
		case ADD: sp--; stack[sp - 1] += stack[sp]; break;
		case SUB: sp--; stack[sp - 1] -= stack[sp]; break;
		case MUL: sp--; stack[sp - 1] *= stack[sp]; break;
		case MOD: sp--; stack[sp - 1] %= stack[sp]; break;
		case DUP: stack[sp] = stack[sp - 1]; sp++; break;
		case SWAP: { int64_t t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; break; }
		case JNZ: sp--; if (stack[sp]) pc = (int)prog[pc]; else pc++; break;
		case LOAD: stack[sp++] = vars[prog[pc++]]; break;
		case STORE: vars[prog[pc++]] = stack[--sp]; break;
		case HALT:
			printf("interp n=%lld acc=%lld steps=%llu\n", (long long)n, (long long)vars[0], (unsigned long long)steps);
			return 0;
		default:
			printf("bad opcode\n");
			return 1;
		}
	}
}
