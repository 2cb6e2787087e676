/*
 * The events guest's event callback (CALLBACKTYPE_event). The hypervisor enters it like an
 * exception with events masked: EFLAGS, CS, EIP on the ring-1 stack (XEN-PV-ABI.md §3). It
 * handles what is pending and returns by HYPERVISOR_iret, which unmasks events again when the
 * saved EFLAGS.IF says they were unmasked.
 */
#include <xen/xen.h>

  .text
  .globl hypervisor_callback
hypervisor_callback:
  pushal
  call do_upcall
  popal
  jmp hypercall_page + __HYPERVISOR_iret * 32   /* the slot pushes EAX */

  .section .note.GNU-stack, "", @progbits
