/*
 * The gates guest's far-call targets and its ring-3 program. Every call through a guest call
 * gate traps to the hypervisor, which emulates the gate (docs/HYPERVISOR.md "Call gates").
 */
#include <xen/xen.h>

  .text
/* Target of the same-ring gate: remember the frame the hypervisor pushed, return with lret. */
  .globl k_same
k_same:
  movl (%esp), %eax
  movl %eax, same_frame
  movl 4(%esp), %eax
  movl %eax, same_frame + 4
  movl %esp, same_esp
  movl $0x5a3e, %eax
  lret

/* Target of the jump gate: no frame; back to where the caller said. */
  .globl k_jmp
k_jmp:
  movl %esp, jmp_esp
  jmp *jmp_back

/* Target of the inner-ring gate from ring 3 (2 parameters): copy the frame, lret $8 to ring 3. */
  .globl k_inner
k_inner:
  movw %cs, inner_cs
  movw %ss, inner_ss
  movl %esp, inner_esp
  pushl %esi
  pushl %edi
  pushl %ecx
  leal 12(%esp), %esi
  movl $inner_frame, %edi
  movl $6, %ecx
  rep movsl
  popl %ecx
  popl %edi
  popl %esi
  movl $0x600d, %eax
  lret $8

/* int enter_user(void): drop to ring 3 at user_main; returns when ring 3 calls the exit gate. */
  .globl enter_user
enter_user:
  pushl %ebp
  pushl %ebx
  pushl %esi
  pushl %edi
  movl %esp, saved_kernel_esp
  pushl $FLAT_USER_SS             /* HYPERVISOR_iret frame: SS ESP EFLAGS CS EIP */
  pushl $user_stack_top
  pushl $0x202
  pushl $FLAT_USER_CS
  pushl $user_main
  jmp hypercall_page + __HYPERVISOR_iret * 32

/* Target of the exit gate (ring 3 -> ring 1): back into enter_user's frame. */
  .globl k_user_exit
k_user_exit:
  movw %ss, exit_ss
  movl 4(%esp), %eax
  movl %eax, exit_from_cs
  movl $FLAT_KERNEL_DS, %eax
  movl %eax, %ds
  movl %eax, %es
  movl saved_kernel_esp, %esp
  popl %edi
  popl %esi
  popl %ebx
  popl %ebp
  xorl %eax, %eax
  ret

  .data
  .globl same_frame, same_esp, jmp_esp, jmp_back, inner_cs, inner_ss, inner_esp, inner_frame, exit_ss, exit_from_cs
same_frame: .long 0, 0
same_esp: .long 0
jmp_esp: .long 0
jmp_back: .long 0
inner_cs: .long 0
inner_ss: .long 0
inner_esp: .long 0
inner_frame: .long 0, 0, 0, 0, 0, 0
exit_ss: .long 0
exit_from_cs: .long 0
saved_kernel_esp: .long 0

/* ---- ring 3 (pages mapped with U) ---- */
  .section .user.text, "ax"
  .globl user_main, user_after_gp, user_gp_call
user_main:
  movl $FLAT_USER_DS, %eax
  movl %eax, %ds
  movl %eax, %es
  movl %esp, user_esp_before
  pushl $0x1111
  pushl $0x2222
  lcall $0x13, $0                 /* gate 2: DPL 3, to ring 1, 2 parameters */
  movl %eax, user_result
  movl %esp, user_esp_after
  movw %cs, user_cs
user_gp_call:
  lcall $0x1b, $0                 /* gate 3: DPL 1, not for ring 3: #GP(0x18) */
user_after_gp:
  lcall $0x2b, $0                 /* gate 5: the exit */
  ud2

  .section .user.data, "aw"
  .globl user_result, user_esp_before, user_esp_after, user_cs, user_stack, user_stack_top
user_result: .long 0
user_esp_before: .long 0
user_esp_after: .long 0
user_cs: .long 0
  .balign 16
user_stack: .space 1024
user_stack_top:

  .section .note.GNU-stack, "", @progbits
