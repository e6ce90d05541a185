// The semihosting sequence as dead code jumped over: a Linux program all the same (glibc tags it).
#include <stdio.h>
int main(void){ __asm__ volatile(".option push\n.option norvc\n j 1f\n slli x0,x0,0x1f\n ebreak\n srai x0,x0,7\n1:\n.option pop"); printf("hello\n"); return 0; }
