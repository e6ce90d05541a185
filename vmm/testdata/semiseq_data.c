// The semihosting sequence as data in .rodata: a Linux program all the same.
#include <stdio.h>
const unsigned int seq[3] __attribute__((aligned(16))) = {0x01f01013, 0x00100073, 0x40705013};
int main(void){ printf("hello %x\n", seq[1]); return 0; }
