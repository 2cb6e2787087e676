/*
 * The syscall guest's ring-3 program and the kernel's int $0x80 entry. The trap-table entry for
 * vector 0x80 (DPL 3) makes the hypervisor open the fast path: int $0x80 from ring 3 reaches
 * syscall_entry through the emulated IDT on the stack_switch stack, with no hypervisor entry, and
 * the kernel returns with the native iret (XEN-PV-ABI.md §3).
 */
#include <xen/xen.h>

#define SYS_exit   0
#define SYS_add    1
#define SYS_report 2
#define USER_CALLS 1000

  .text
/* int enter_user(void): drop to ring 3 at user_main; returns the program's exit code */
  .globl enter_user
enter_user:
  pushl %ebp
  pushl %ebx
  pushl %esi
  pushl %edi
  movl %esp, saved_kernel_esp
  pushl $FLAT_USER_SS             /* HYPERVISOR_iret frame: SS ESP EFLAGS CS EIP (EAX pushed by the slot) */
  pushl $user_stack_top
  pushl $0x202                    /* IF: events unmasked in ring 3 */
  pushl $FLAT_USER_CS
  pushl $user_main
  jmp hypercall_page + __HYPERVISOR_iret * 32

/* int $0x80 from ring 3: EIP CS EFLAGS ESP SS on the kernel stack. DS and ES are whatever ring 3
 * left (the iret to ring 3 nulled the kernel's, whose DPL 1 < CPL 3: SDM IRET), so the kernel
 * loads its own and puts ring 3's back on the way out. */
  .globl syscall_entry
syscall_entry:
  pushal
  pushl %ds
  pushl %es
  movl $FLAT_KERNEL_DS, %edx
  movl %edx, %ds
  movl %edx, %es
  pushl %esp                      /* struct syscall_frame * */
  cmpl $SYS_exit, %eax
  je 1f
  call syscall_handler            /* sets frame->eax */
  addl $4, %esp
  popl %es
  popl %ds
  popal
  iret                            /* native: ring 1 -> ring 3 */
1:
  call syscall_exit_frame         /* checks the frame of the last call */
  addl $12, %esp                  /* the kernel keeps its DS and ES */
  popal
  movl %ebx, %eax                 /* the exit code */
  movl saved_kernel_esp, %esp     /* back into enter_user's frame on the boot stack */
  popl %edi
  popl %esi
  popl %ebx
  popl %ebp
  ret

/* Bounced from ring 3 (not the fast path): #GP (with its error code) and int $0x83 (registered
 * DPL 3, delivered as a trap, no error code). Same register frame as syscall_entry plus the
 * error code; handlers return to ring 3 by the native iret. */
  .globl gp_entry, soft83_entry
gp_entry:
  pushl $gp_handler
  jmp bounced
soft83_entry:
  pushl $0                        /* error code */
  pushl $soft83_handler
bounced:
  xchgl %eax, (%esp)              /* EAX saved, the handler's address in EAX */
  pushal
  pushl %ds
  pushl %es
  movl $FLAT_KERNEL_DS, %edx
  movl %edx, %ds
  movl %edx, %es
  pushl %esp
  call *%eax
  addl $4, %esp
  popl %es
  popl %ds
  popal
  popl %eax
  addl $4, %esp                   /* error code */
  iret

  .data
saved_kernel_esp: .long 0

/* ---- ring 3: pages mapped with U by the kernel ---- */
  .section .user.text, "ax"
  .globl user_main
user_main:
  movl $USER_CALLS, %esi
  xorl %edi, %edi                 /* wrong results */
2:
  movl $SYS_add, %eax
  movl %esi, %ebx
  movl $7, %ecx
  int $0x80
  leal 7(%esi), %edx
  cmpl %edx, %eax
  je 3f
  incl %edi
3:
  decl %esi
  jnz 2b
  movl $SYS_report, %eax          /* what ring 3 sees of itself */
  movl %cs, %ebx
  movl %esp, %ecx
  movl %ss, %edx
  int $0x80
  int $0x81                       /* registered DPL 1: #GP(0x80a) */
  int $0x82                       /* the hypercall vector from ring 3: #GP(0x412) */
  int $0x83                       /* registered DPL 3: delivered */
  movl $SYS_exit, %eax
  movl %edi, %ebx
  int $0x80
  ud2                             /* exit does not return */

  .section .user.data, "aw"
  .balign 16
  .globl user_stack, user_stack_top
user_stack:
  .space 4096
user_stack_top:

  .section .note.GNU-stack, "", @progbits
