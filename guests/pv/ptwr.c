/*
 * ptwr: writable page tables (vm_assist VMASST_TYPE_writable_pagetables; Xen's
 * arch/x86/pv/ro-page-fault.c). The kernel writes its own L1 entries with ordinary instructions
 * through its read-only mapping of the L1: MOV (32 and 16 bits), XCHG, CMPXCHG, AND, OR (8 bits),
 * BTS, BTR (and CMPXCHG8B and a high-then-low pair of stores in the PAE layout). Each store faults, is validated and applied by the
 * hypervisor, and the kernel continues after it. Without the assist, and for every store Xen
 * refuses (an entry mapping its own page table writable, a frame that is not the domain's, a
 * cache-attribute bit, a misaligned store, a store into an L2), the #PF is the kernel's and the
 * entry is unchanged.
 */
#include <pv.h>
#include <pv-traps.h>

static char target[4096] __attribute__((aligned(4096)));
static char other[4096] __attribute__((aligned(4096)));

#define ENTRY_FLAGS (PTE_P | PTE_RW | PTE_A | PTE_D)

/* Store `v` (32 bits) at `at`, expecting the #PF to come back to us; reports what it saw. */
static int store_faults(volatile void *at, uint32_t v) {
  pv_seen.count = 0;
  TRY("movl %0, (%1)", "r"(v), "r"(at));
  return pv_seen.count == 1 && pv_seen.vector == 14 && pv_seen.error_code == 3 && pv_seen.cr2 == (unsigned long)at;
}

int main(void) {
  unsigned char zf;
  pv_traps_install();
  unsigned long tva = (unsigned long)target;
  volatile pte_t *pte = pv_l1e(tva);
  volatile uint32_t *lo = (volatile uint32_t *)pte;
  target[0] = 'T'; /* the first store sets the entry's dirty bit: read it after */
  other[0] = 'O';
  const pte_t orig = *pte;
  CHECK_EQ(pte_mfn(orig), pv_virt_to_mfn(target), "the L1 entry found for `target` maps its frame");
  const pte_t to_other = (pte_t)pv_virt_to_mfn(other) << 12 | ENTRY_FLAGS;

  CHECK(store_faults(pte, (uint32_t)to_other), "without the assist a store to the L1 is the guest's #PF (write, present; CR2 = the entry)");
  CHECK(*pte == orig, "and the entry is unchanged");

  CHECK_EQ(HYPERVISOR_vm_assist(VMASST_CMD_enable, VMASST_TYPE_writable_pagetables), 0, "vm_assist enable writable_pagetables");

  /* MOV */
  *lo = (uint32_t)to_other;
  CHECK(*pte == to_other, "a MOV to the L1 entry took effect");
  pv_invlpg(tva);
  CHECK_EQ(target[0], 'O', "after INVLPG `target` shows the other frame");

  /* XCHG back */
  uint32_t old = (uint32_t)orig;
  asm volatile("xchgl %0, (%1)" : "+r"(old) : "r"(lo) : "memory");
  CHECK_EQ(old, (uint32_t)to_other, "XCHG returned the entry it replaced");
  CHECK(*pte == orig, "and wrote the original entry back");
  pv_invlpg(tva);
  CHECK_EQ(target[0], 'T', "`target` is its own frame again");

  /* read-modify-write instructions, as Linux's set_bit/clear_bit on entries */
  unsigned char cf;
  asm volatile("lock andl %2, (%1); setz %0" : "=q"(zf) : "r"(lo), "i"(~PTE_RW) : "memory", "cc");
  CHECK(*pte == (orig & ~(pte_t)PTE_RW) && zf == 0, "LOCK AND cleared RW (ZF clear)");
  asm volatile("lock btsl $1, (%1); setc %0" : "=q"(cf) : "r"(lo) : "memory", "cc");
  CHECK(*pte == orig && cf == 0, "LOCK BTS set RW again (CF = the old bit, 0)");
  asm volatile("lock btrl %2, (%1); setc %0" : "=q"(cf) : "r"(lo), "r"(5) : "memory", "cc");
  CHECK(*pte == (orig & ~(pte_t)PTE_A) && cf == 1, "LOCK BTR with a register offset cleared A (CF 1)");
  asm volatile("orb $0x20, (%0)" : : "r"(lo) : "memory", "cc");
  CHECK(*pte == orig, "OR of one byte set A again");
  asm volatile("movw %w0, (%1)" : : "r"((uint32_t)orig), "r"(lo) : "memory");
  CHECK(*pte == orig, "a 16-bit MOV of the low word");
  pv_seen.count = 0;
  TRY("orl $0x10, (%0)", "r"(lo));
  CHECK(pv_seen.count == 1 && pv_seen.vector == 14 && *pte == orig, "OR of PCD is refused: #PF, entry unchanged");

  /* CMPXCHG: success, then a stale comparison */
  uint32_t acc = (uint32_t)orig;
  asm volatile("lock cmpxchgl %2, (%3); setz %1" : "+a"(acc), "=q"(zf) : "r"((uint32_t)to_other), "r"(lo) : "memory", "cc");
  CHECK(zf == 1 && *pte == to_other, "CMPXCHG with the current entry: ZF set, entry replaced");
  acc = (uint32_t)orig;
  asm volatile("lock cmpxchgl %2, (%3); setz %1" : "+a"(acc), "=q"(zf) : "r"((uint32_t)orig), "r"(lo) : "memory", "cc");
  CHECK(zf == 0 && acc == (uint32_t)to_other && *pte == to_other, "CMPXCHG with a stale value: ZF clear, EAX = the entry, entry unchanged");
#if PV_PAE
  /* CMPXCHG8B puts the original back */
  uint32_t eax = (uint32_t)to_other, edx = (uint32_t)(to_other >> 32);
  asm volatile("lock cmpxchg8b (%4); setz %2" : "+a"(eax), "+d"(edx), "=q"(zf)
               : "b"((uint32_t)orig), "r"(pte), "c"((uint32_t)(orig >> 32)) : "memory", "cc");
  CHECK(zf == 1 && *pte == orig, "CMPXCHG8B with the current entry: ZF set, entry replaced");
  /* a high half that makes the entry invalid, then the low half: Xen writes the first store with
   * the present bit cleared, expecting the second */
  volatile uint32_t *hi = lo + 1;
  *hi = 0x000fffff;
  CHECK(*hi == 0x000fffff && (*lo & PTE_P) == 0, "an invalid high half is written with the present bit cleared (0x%x:%x)", (unsigned)*hi, (unsigned)*lo);
  *hi = 0;
  *lo = (uint32_t)orig;
  CHECK(*pte == orig, "the following stores make the entry whole again");
#else
  acc = (uint32_t)to_other;
  asm volatile("lock cmpxchgl %2, (%3); setz %1" : "+a"(acc), "=q"(zf) : "r"((uint32_t)orig), "r"(lo) : "memory", "cc");
  CHECK(zf == 1 && *pte == orig, "CMPXCHG puts the original back");
#endif
  pv_invlpg(tva);
  CHECK_EQ(target[0], 'T', "`target` is its own frame again");

  /* Refused: the #PF is the guest's, nothing changes */
  unsigned long l1_mfn = pte_mfn(*pv_l2e(tva));
  CHECK(store_faults(pte, l1_mfn << 12 | ENTRY_FLAGS), "an entry mapping the L1 itself writable: #PF");
  CHECK(*pte == orig, "entry unchanged");
  long max_page = HYPERVISOR_memory_op(XENMEM_maximum_ram_page, 0);
  CHECK(store_faults(pte, (uint32_t)max_page << 12 | ENTRY_FLAGS), "an entry mapping a frame beyond RAM: #PF");
  unsigned long m2p_mfn = pte_mfn(*pv_l2e(PV_M2P_START));
  CHECK(store_faults(pte, m2p_mfn << 12 | PTE_P | PTE_A), "an entry mapping the hypervisor's M2P frame 0x%x: #PF", (unsigned)m2p_mfn);
  CHECK(store_faults(pte, (uint32_t)orig | 0x10), "the entry with PCD: #PF");
  CHECK(store_faults((volatile char *)pte + 2, 0), "a misaligned store: #PF");
  volatile pte_t *l2e = pv_l2e(tva);
  pte_t l2_orig = *l2e;
  CHECK(store_faults(l2e, (uint32_t)l2_orig), "a store into an L2 (not an L1): #PF");
  CHECK(*pte == orig && *l2e == l2_orig, "L1 and L2 entries unchanged");

  CHECK_EQ(HYPERVISOR_vm_assist(VMASST_CMD_disable, VMASST_TYPE_writable_pagetables), 0, "vm_assist disable");
  CHECK(store_faults(pte, (uint32_t)to_other), "a store to the L1 faults again");
  CHECK(*pte == orig, "entry unchanged");
  return 0;
}
