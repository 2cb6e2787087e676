/*
 * Entry of a PV guest kernel: the Xen ELF notes the domain builder reads (numbers from
 * xen/elfnote.h), the hypercall page it fills, and _start. The builder starts the vCPU at ENTRY in
 * ring 1 with ESI = start_info's virtual address (XEN-PV-ABI.md §1); _start moves to the
 * kernel's own stack and calls pv_start(start_info).
 */
#include <xen/elfnote.h>

#define PV_VIRT_BASE 0xC0000000

#define NOTE(type, desc...)         \
  .balign 4;                        \
  .long 2f - 1f, 4f - 3f, type;     \
1: .asciz "Xen";                    \
2: .balign 4;                       \
3: desc;                            \
4: .balign 4

  .section .note.Xen, "a", @note
  NOTE(XEN_ELFNOTE_GUEST_OS, .asciz "xenolith-pv-guest")
  NOTE(XEN_ELFNOTE_GUEST_VERSION, .asciz "0.1")
  NOTE(XEN_ELFNOTE_XEN_VERSION, .asciz "xen-3.0")
  NOTE(XEN_ELFNOTE_LOADER, .asciz "generic")
  NOTE(XEN_ELFNOTE_VIRT_BASE, .long PV_VIRT_BASE)
  /* linked with p_paddr = p_vaddr: the image's "physical" addresses start at VIRT_BASE */
  NOTE(XEN_ELFNOTE_PADDR_OFFSET, .long PV_VIRT_BASE)
  NOTE(XEN_ELFNOTE_ENTRY, .long _start)
  NOTE(XEN_ELFNOTE_HYPERCALL_PAGE, .long hypercall_page)
#if PV_PAE
  NOTE(XEN_ELFNOTE_PAE_MODE, .asciz "yes")
#endif

  .section .text.entry, "ax"
  .globl _start
_start:
  cld
  movl $pv_stack_top, %esp
  pushl %esi                      /* start_info */
  call pv_start                   /* does not return */
  ud2

  .balign 4096
  .globl hypercall_page
hypercall_page:
  .fill 4096, 1, 0                /* the builder writes the slots */

  .bss
  .balign 4096
  .globl pv_stack, pv_stack_top
pv_stack:
  .space 4 * 4096
pv_stack_top:

  .section .note.GNU-stack, "", @progbits
