/*
 * headers-only: a PV guest built only against Xen's public headers (libxen-dev), with none of the
 * project's SDK: its own ELF notes, entry, hypercall page and stack. It prints through
 * console_io and powers off. Linked at 0xC0000000 (VIRT_BASE = PADDR_OFFSET, p_paddr = p_vaddr).
 */
#define __XEN_INTERFACE_VERSION__ __XEN_LATEST_INTERFACE_VERSION__
#include <stdint.h>
#include <xen/xen.h>
#include <xen/elfnote.h>
#include <xen/sched.h>

#define STR_(x) #x
#define STR(x) STR_(x)
#define NOTE(type, desc) \
  ".balign 4\n.long 4, 2f - 1f, " STR(type) "\n.asciz \"Xen\"\n.balign 4\n1: " desc "\n2: .balign 4\n"

asm(".section .note.Xen, \"a\", @note\n"
    NOTE(XEN_ELFNOTE_GUEST_OS, ".asciz \"headers-only\"")
    NOTE(XEN_ELFNOTE_XEN_VERSION, ".asciz \"xen-3.0\"")
    NOTE(XEN_ELFNOTE_LOADER, ".asciz \"generic\"")
    NOTE(XEN_ELFNOTE_VIRT_BASE, ".long 0xC0000000")
    NOTE(XEN_ELFNOTE_PADDR_OFFSET, ".long 0xC0000000")
    NOTE(XEN_ELFNOTE_ENTRY, ".long _start")
    NOTE(XEN_ELFNOTE_HYPERCALL_PAGE, ".long hypercall_page")
#if PV_PAE
    NOTE(XEN_ELFNOTE_PAE_MODE, ".asciz \"yes\"")
#endif
    ".text\n"
    ".globl _start\n"
    "_start:\n"
    "  movl $stack + 8192, %esp\n"
    "  pushl %esi\n"                     /* start_info */
    "  call start_kernel\n"
    "  ud2\n"
    ".balign 4096\n"
    ".globl hypercall_page\n"
    "hypercall_page: .fill 4096, 1, 0\n");

static char stack[8192] __attribute__((used, aligned(16)));

#define CALL(nr) "call hypercall_page + " STR(nr) " * 32"

static long console_write(const char *s) {
  long n = 0, r;
  while (s[n]) n++;
  asm volatile(CALL(__HYPERVISOR_console_io) : "=a"(r) : "b"(CONSOLEIO_write), "c"(n), "d"(s) : "memory");
  return r;
}

void start_kernel(start_info_t *si) __attribute__((noreturn, used));
void start_kernel(start_info_t *si) {
  console_write("Hello from a guest built only against Xen's public headers: ");
  console_write(si->magic);
  console_write("\n");
  struct sched_shutdown s = { .reason = SHUTDOWN_poweroff };
  for (;;) {
    long r;
    asm volatile(CALL(__HYPERVISOR_sched_op) : "=a"(r) : "b"(SCHEDOP_shutdown), "c"(&s) : "memory", "edx");
  }
}
