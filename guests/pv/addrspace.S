/*
 * The address-space guest's ring-3 program and the kernel's way in and out of it. user_prog is
 * position-independent code the kernel copies into a frame it maps at USER_CODE in the new
 * address space; it works on the data page at USER_DATA (also its stack) and leaves with
 * int $0x80, which the kernel registered with DPL 3 and which lands in user_exit.
 */
#include <xen/xen.h>

#define USER_CODE 0x00400000
#define USER_DATA 0x00401000

  .section .rodata
  .globl user_prog, user_prog_end
user_prog:
  movl $FLAT_USER_DS, %eax        /* the iret to ring 3 nulled the kernel's DS and ES */
  movl %eax, %ds
  movl %eax, %es
  movl USER_DATA, %eax            /* the kernel's input */
  imull $3, %eax, %eax
  addl $7, %eax
  movl %eax, USER_DATA + 4        /* result = input * 3 + 7 */
  pushl $0x55                     /* the stack at the top of the data page works */
  popl %ebx
  movl %ebx, USER_DATA + 8
  movl %cs, %eax
  movl %eax, USER_DATA + 12       /* the ring it ran in */
  int $0x80
  ud2
user_prog_end:

  .text
/* void enter_user(void): iret to ring 3 at USER_CODE with the stack at the top of USER_DATA */
  .globl enter_user
enter_user:
  pushl %ebp
  pushl %ebx
  pushl %esi
  pushl %edi
  movl %esp, saved_kernel_esp
  pushl $FLAT_USER_SS             /* HYPERVISOR_iret frame: SS ESP EFLAGS CS EIP (EAX pushed by the slot) */
  pushl $USER_DATA + 4096
  pushl $0x202
  pushl $FLAT_USER_CS
  pushl $USER_CODE
  jmp hypercall_page + __HYPERVISOR_iret * 32

/* int $0x80 from ring 3: back to enter_user's caller (the frame on the ring-1 stack is dropped) */
  .globl user_exit
user_exit:
  movl $FLAT_KERNEL_DS, %eax
  movl %eax, %ds
  movl %eax, %es
  movl saved_kernel_esp, %esp
  popl %edi
  popl %esi
  popl %ebx
  popl %ebp
  ret

  .bss
  .align 4
saved_kernel_esp:
  .long 0
