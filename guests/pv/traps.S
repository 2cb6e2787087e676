/*
 * Exception entry stubs for the traps guest. The hypervisor bounces an exception onto the ring-1
 * stack as EFLAGS, CS, EIP [, error code for 8, 10-14, 17] (XEN-PV-ABI.md §3). Each stub makes
 * the frame uniform (error code, vector), saves the registers and calls pv_trap_handler(frame) (pv-traps.h); the
 * handler sets frame->eip to where execution resumes. #DE and #UD return by the native iret
 * (ring 1 to ring 1 is allowed), #GP and #PF by the iret hypercall.
 */
  .text
  .globl trap_de, trap_ud, trap_gp, trap_pf, trap_soft41, trap_soft42
trap_de: pushl $0; pushl $0;  jmp trap_native
trap_ud: pushl $0; pushl $6;  jmp trap_native
trap_gp:           pushl $13; jmp trap_hypercall
trap_pf:           pushl $14; jmp trap_hypercall
trap_soft41: pushl $0; pushl $0x41; jmp trap_hypercall
trap_soft42: pushl $0; pushl $0x42; jmp trap_hypercall

trap_native:
  pushal
  pushl %esp                      /* struct pv_trap_frame * */
  call pv_trap_handler
  addl $4, %esp
  popal
  addl $8, %esp                   /* vector, error code */
  iret

trap_hypercall:
  pushal
  pushl %esp
  call pv_trap_handler
  addl $4, %esp
  popal
  addl $8, %esp
  /* HYPERVISOR_iret: the stack must hold EAX, EIP, CS, EFLAGS; slot 23 pushes EAX itself */
  jmp hypercall_page + 23 * 32

  .section .note.GNU-stack, "", @progbits
