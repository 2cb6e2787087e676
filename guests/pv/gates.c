/*
 * gates: call gates in the guest's GDT (docs/HYPERVISOR.md "Call gates"). check_descriptor
 * gives each gate DPL 0, so every far CALL/JMP through one traps and the hypervisor emulates it
 * as the CPU would with the DPL the guest asked for (Xen's emul-gate-op.c): same-ring CALL (CS
 * and return EIP pushed), JMP (nothing pushed), CALL m16:32, a CALL from ring 3 to ring 1 that
 * switches to the stack_switch stack and copies two parameters; and the faults: a gate whose
 * DPL is below CPL or the selector's RPL (#GP(gate)), a target of an outer ring (#GP(target)),
 * a gate not present (#NP(gate)).
 */
#include <pv.h>
#include <pv-traps.h>

void k_same(void), k_jmp(void), k_inner(void), k_user_exit(void);
int enter_user(void);
extern unsigned long same_frame[2], same_esp, jmp_esp, jmp_back, inner_cs, inner_ss, inner_esp, inner_frame[6];
extern unsigned long exit_ss, exit_from_cs;
extern unsigned long user_result, user_esp_before, user_esp_after, user_cs;
extern char __user_start[], __user_end[], user_stack_top[], user_after_gp[], user_gp_call[];

static uint64_t gdt[512] __attribute__((aligned(4096)));
static char kernel_stack[4096] __attribute__((aligned(16)));
#define KSTACK_TOP ((unsigned long)kernel_stack + sizeof kernel_stack)

/* A 32-bit call gate: target selector:offset, DPL, parameter count, present. */
static uint64_t gate(unsigned sel, void (*fn)(void), unsigned dpl, unsigned nparm, int present) {
  unsigned long off = (unsigned long)fn;
  uint32_t lo = sel << 16 | (off & 0xffff);
  uint32_t hi = (off & 0xffff0000) | (present ? 0x8000 : 0) | dpl << 13 | 0xc00 | nparm;
  return (uint64_t)hi << 32 | lo;
}

static void expect_fault(unsigned long before, unsigned vector, unsigned long ec, unsigned long eip, const char *what) {
  CHECK(pv_seen.count == before + 1 && pv_seen.vector == vector && pv_seen.error_code == ec && pv_seen.eip == eip,
        "%s: vector %u error code 0x%x at the call (got %u faults, vector %u, ec 0x%x, eip %p)", what, vector, (unsigned)ec,
        (unsigned)(pv_seen.count - before), (unsigned)pv_seen.vector, (unsigned)pv_seen.error_code, (void *)pv_seen.eip);
}

int main(void) {
  pv_traps_install();
  unsigned long mfn = pv_virt_to_mfn(gdt);
  uint64_t ma = (uint64_t)mfn << 12;
  CHECK_EQ(HYPERVISOR_update_va_mapping((unsigned long)gdt, ma | PTE_P | PTE_A, UVMF_INVLPG), 0, "GDT page mapped read-only");
  CHECK_EQ(HYPERVISOR_set_gdt(&mfn, 16), 0, "set_gdt, 16 entries");
  CHECK_EQ(HYPERVISOR_update_descriptor(ma + 1 * 8, gate(FLAT_KERNEL_CS, k_same, 1, 0, 1)), 0, "gate 1: DPL 1 to ring 1");
  CHECK_EQ(HYPERVISOR_update_descriptor(ma + 2 * 8, gate(FLAT_KERNEL_CS, k_inner, 3, 2, 1)), 0, "gate 2: DPL 3 to ring 1, 2 parameters");
  CHECK_EQ(HYPERVISOR_update_descriptor(ma + 3 * 8, gate(FLAT_KERNEL_CS, k_same, 1, 0, 1)), 0, "gate 3: DPL 1");
  CHECK_EQ(HYPERVISOR_update_descriptor(ma + 4 * 8, gate(FLAT_KERNEL_CS, k_same, 3, 0, 0)), 0, "gate 4: not present");
  CHECK_EQ(HYPERVISOR_update_descriptor(ma + 5 * 8, gate(FLAT_KERNEL_CS, k_user_exit, 3, 0, 1)), 0, "gate 5: DPL 3, the exit");
  CHECK_EQ(HYPERVISOR_update_descriptor(ma + 7 * 8, 0x00cffa000000ffffULL), 0, "entry 7: ring-3 code");
  CHECK_EQ(HYPERVISOR_update_descriptor(ma + 6 * 8, gate(0x3b, k_same, 1, 0, 1)), 0, "gate 6: DPL 1 to ring-3 code");
  CHECK_EQ(HYPERVISOR_update_descriptor(ma + 8 * 8, gate(FLAT_KERNEL_CS, k_jmp, 1, 0, 1)), 0, "gate 8: DPL 1, for a jump");
  CHECK_EQ(HYPERVISOR_update_descriptor(ma + 9 * 8, gate(FLAT_USER_CS, k_same, 3, 0, 1)), -22,
           "a gate to the hypervisor's ring-3 selector is refused (-EINVAL)");
  CHECK((gdt[1] >> 45 & 3) == 0 && (gdt[1] >> 16 & 3) == 1, "gate 1 stored with DPL 0, its DPL in the target's RPL");

  /* ---- ring 1 ---- */
  unsigned long r, esp0;
  asm volatile("movl %%esp, %1; lcall $0x09, $0" : "=a"(r), "=m"(esp0) : : "memory", "edx");
  CHECK_EQ(r, 0x5a3e, "lcall through gate 1 ran k_same");
  CHECK(same_frame[1] == FLAT_KERNEL_CS && same_esp == esp0 - 8, "it pushed CS 0x%x and the return EIP on the caller's stack",
        (unsigned)same_frame[1]);
  static const struct { uint32_t off; uint16_t sel; } __attribute__((packed)) ptr = { 0, 0x09 };
  same_frame[0] = 0;
  asm volatile("lcall *%1" : "=a"(r) : "m"(ptr) : "memory", "edx");
  CHECK(r == 0x5a3e && same_frame[0] != 0, "lcall *m16:32 through gate 1");
  asm volatile("movl $1f, jmp_back; movl %%esp, %0; ljmp $0x41, $0; 1:" : "=m"(esp0) : : "memory");
  CHECK_EQ(jmp_esp, esp0, "ljmp through gate 8 pushed nothing");

  unsigned long n = pv_seen.count, at;
  asm volatile("movl $1f, pv_resume; movl $0f, %0; 0: lcall $0x0b, $0; 1:" : "=m"(at) : : "memory", "eax", "edx");
  expect_fault(n, 13, 0x08, at, "selector RPL 3 above gate 1's DPL 1");
  n = pv_seen.count;
  asm volatile("movl $1f, pv_resume; movl $0f, %0; 0: lcall $0x31, $0; 1:" : "=m"(at) : : "memory", "eax", "edx");
  expect_fault(n, 13, 0x38, at, "gate 6 to an outer ring's code: #GP(target)");
  n = pv_seen.count;
  asm volatile("movl $1f, pv_resume; movl $0f, %0; 0: lcall $0x21, $0; 1:" : "=m"(at) : : "memory", "eax", "edx");
  expect_fault(n, 11, 0x20, at, "gate 4 not present: #NP(gate)");

  /* ---- ring 3 ---- */
  unsigned bad_maps = 0;
  for (char *va = __user_start; va < __user_end; va += 4096) {
    uint64_t pte = (uint64_t)pv_virt_to_mfn(va) << 12 | PTE_P | PTE_RW | PTE_U | PTE_A | PTE_D;
    if (HYPERVISOR_update_va_mapping((unsigned long)va, pte, UVMF_INVLPG) != 0) bad_maps++;
  }
  CHECK_EQ(bad_maps, 0, "user pages mapped with U");
  CHECK_EQ(HYPERVISOR_stack_switch(FLAT_KERNEL_SS, KSTACK_TOP), 0, "stack_switch");
  n = pv_seen.count;
  pv_resume = (unsigned long)user_after_gp;
  CHECK_EQ(enter_user(), 0, "ring 3 came back through the exit gate");
  CHECK_EQ(user_result, 0x600d, "ring 3's lcall through gate 2 returned k_inner's result");
  CHECK(inner_cs == FLAT_KERNEL_CS && inner_ss == FLAT_KERNEL_SS && inner_esp == KSTACK_TOP - 24,
        "k_inner ran in ring 1 on the stack_switch stack (cs 0x%x ss 0x%x esp %p)", (unsigned)inner_cs, (unsigned)inner_ss,
        (void *)inner_esp);
  CHECK(inner_frame[1] == FLAT_USER_CS && inner_frame[2] == 0x2222 && inner_frame[3] == 0x1111 &&
        inner_frame[4] == user_esp_before - 8 && inner_frame[5] == FLAT_USER_SS,
        "frame: EIP, CS 0x%x, parameters 0x%x 0x%x copied in order, ESP, SS 0x%x", (unsigned)inner_frame[1],
        (unsigned)inner_frame[2], (unsigned)inner_frame[3], (unsigned)inner_frame[5]);
  CHECK(user_esp_after == user_esp_before && user_cs == FLAT_USER_CS, "lret $8 back to ring 3 popped the parameters");
  expect_fault(n, 13, 0x18, (unsigned long)user_gp_call, "ring 3 through gate 3 (DPL 1): #GP(gate)");
  CHECK(exit_ss == FLAT_KERNEL_SS && exit_from_cs == FLAT_USER_CS, "the exit gate switched to the kernel stack from ring 3");
  return 0;
}
