/*
 * Catching the exceptions a check expects (include in one file per guest, after pv.h): stubs for
 * #TS #NP #SS #GP #PF (vectors 10-14, all with an error code) record the exception in pv_seen
 * and resume at pv_resume, returning by the iret hypercall. Install with pv_traps_install().
 * TRY(insn, inputs...) runs one instruction with pv_resume just after it.
 */
#ifndef PV_TRAPS_H
#define PV_TRAPS_H

struct pv_trap_frame {
  unsigned long edi, esi, ebp, esp, ebx, edx, ecx, eax;   /* pushal */
  unsigned long vector, error_code;
  unsigned long eip, cs, eflags;                          /* the bounce frame */
};

volatile struct { unsigned long count, vector, error_code, eip, cs, cr2; } pv_seen;
volatile unsigned long pv_resume;

void pv_trap_handler(struct pv_trap_frame *f) {
  pv_seen.count++;
  pv_seen.vector = f->vector;
  pv_seen.error_code = f->error_code;
  pv_seen.eip = f->eip;
  pv_seen.cs = f->cs;
  if (f->vector == 14) pv_seen.cr2 = shared_info->vcpu_info[0].arch.cr2;
  f->eip = pv_resume;
}

void pv_trap_10(void), pv_trap_11(void), pv_trap_12(void), pv_trap_13(void), pv_trap_14(void);
asm(".text\n"
    "pv_trap_10: pushl $10; jmp pv_trap_common\n"
    "pv_trap_11: pushl $11; jmp pv_trap_common\n"
    "pv_trap_12: pushl $12; jmp pv_trap_common\n"
    "pv_trap_13: pushl $13; jmp pv_trap_common\n"
    "pv_trap_14: pushl $14; jmp pv_trap_common\n"
    "pv_trap_common:\n"
    "  pushal\n"
    "  pushl %esp\n"
    "  call pv_trap_handler\n"
    "  addl $4, %esp\n"
    "  popal\n"
    "  addl $8, %esp\n"
    "  jmp hypercall_page + 23 * 32\n");

static inline void pv_traps_install(void) {
  static const struct trap_info t[] = {
    { 10, 0, FLAT_KERNEL_CS, (unsigned long)pv_trap_10 }, { 11, 0, FLAT_KERNEL_CS, (unsigned long)pv_trap_11 },
    { 12, 0, FLAT_KERNEL_CS, (unsigned long)pv_trap_12 }, { 13, 0, FLAT_KERNEL_CS, (unsigned long)pv_trap_13 },
    { 14, 0, FLAT_KERNEL_CS, (unsigned long)pv_trap_14 }, { 0, 0, 0, 0 },
  };
  HYPERVISOR_set_trap_table(t);
}

/* Run `insn` (register inputs as constraints) once, resuming after it if it faults; every
 * general register is saved around it (pushal/popal), so it may change any of them. */
#define TRY(insn, ...) \
  asm volatile("pushal\n\tmovl $1f, pv_resume\n\t" insn "\n1:\tpopal" : : __VA_ARGS__ : "memory")

#endif
