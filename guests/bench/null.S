/*
 * null: the empty kernel whose start-up time and peak RSS `xenolith bench` measures, as the peer
 * runner measures QEMU's and v86's: it prints "DONE null 0" on COM1 (waiting for the transmitter
 * as a driver does) and exits through port 0xF4 (0x10: exit status 33). No SDK: the bare SDK's
 * own setup runs ~38000 instructions (the TSS I/O bitmap alone 32000), which is not start-up.
 */
#define COM1 0x3f8
#define LSR_THRE 0x20

  .section .text
  .p2align 2
multiboot_header:                 /* multiboot v1, ELF image: no flags needed */
  .long 0x1BADB002
  .long 0
  .long -0x1BADB002

  .globl _start
_start:
  mov $message, %esi
next:
  lodsb
  test %al, %al
  jz done
  mov %al, %ah
  mov $COM1 + 5, %dx
wait:
  in %dx, %al
  test $LSR_THRE, %al
  jz wait
  mov $COM1, %dx
  mov %ah, %al
  out %al, %dx
  jmp next
done:
  mov $0x10, %al
  out %al, $0xf4
  cli
  hlt

message:
  .asciz "DONE null 0\n"
