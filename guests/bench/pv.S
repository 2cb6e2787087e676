/*
 * The PV benchmark loops (guests/bench/pv.c picks one). Events:
 *   bounce   #UD (ud2) in the kernel, bounced by the hypervisor to ud_entry, back by HYPERVISOR_iret
 *   fastsys  int $0x80 from ring 3 through the trap table's direct path (no hypervisor entry), native iret
 *   slowsys  int $0x83 from ring 3 (registered DPL 3, no direct path: bounced), native iret
 * Handlers count in bench_count through %ss (the stack_switch stack's flat kernel segment), so
 * they need no data segment of their own.
 */
#include <xen/xen.h>

  .text
/* u32 w_bounce(u32 n) */
  .globl w_bounce, ud_entry
w_bounce:
  mov 4(%esp), %ecx
1:ud2
  dec %ecx
  jnz 1b
  mov bench_count, %eax
  ret
/* bounce frame on the ring-1 stack: EIP CS EFLAGS */
ud_entry:
  addl $2, (%esp)                 /* past the ud2 */
  incl %ss:bench_count
  jmp hypercall_page + __HYPERVISOR_iret * 32   /* the slot pushes EAX itself */

/* u32 enter_user(void *user_fn): run user_fn at ring 3 (ECX = bench_n there); it ends with
 * int $0x80 and EAX = 0, which comes back here with bench_count. */
  .globl enter_user, sys80_entry, sys83_entry
enter_user:
  pushl %ebp
  pushl %ebx
  pushl %esi
  pushl %edi
  movl %esp, saved_kernel_esp
  movl 20(%esp), %edx
  movl bench_n, %ecx
  pushl $FLAT_USER_SS             /* HYPERVISOR_iret frame: SS ESP EFLAGS CS EIP */
  pushl $user_stack_top
  pushl $0x202
  pushl $FLAT_USER_CS
  pushl %edx
  jmp hypercall_page + __HYPERVISOR_iret * 32

/* int $0x80 (direct path): EAX != 0 counts a call; EAX = 0 leaves ring 3 for good */
sys80_entry:
  testl %eax, %eax
  jz 1f
  incl %ss:bench_count
  iret
1:movl $FLAT_KERNEL_DS, %eax
  movl %eax, %ds
  movl %eax, %es
  movl saved_kernel_esp, %esp
  movl bench_count, %eax
  popl %edi
  popl %esi
  popl %ebx
  popl %ebp
  ret

/* int $0x83 (bounced): EIP CS EFLAGS ESP SS on the stack_switch stack */
sys83_entry:
  incl %ss:bench_count
  iret

  .data
  .globl bench_n, bench_count
bench_n: .long 0
bench_count: .long 0
saved_kernel_esp: .long 0

/* ---- ring 3 (pages mapped with U by pv.c) ---- */
  .section .user.text, "ax"
  .globl user_fast, user_slow
user_fast:
  movl $1, %eax
1:int $0x80
  dec %ecx
  jnz 1b
  xorl %eax, %eax
  int $0x80
user_slow:
1:int $0x83
  dec %ecx
  jnz 1b
  xorl %eax, %eax
  int $0x80

  .section .user.data, "aw"
  .balign 16
  .globl user_stack_top
  .space 4096
user_stack_top:

  .section .note.GNU-stack, "", @progbits
