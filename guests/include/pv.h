/*
 * The PV guest SDK: what a guest kernel built here (guests/pv/) needs to run on Xen's x86_32 PV
 * ABI. Structures and numbers come from Xen's public headers (Debian libxen-dev, /usr/include/xen);
 * hypercalls go through the hypercall page the domain builder fills (XEN_ELFNOTE_HYPERCALL_PAGE),
 * slot n = 32 bytes at hypercall_page + n*32 (`mov $n,%eax; int $0x82; ret`).
 *
 * Each guest is built twice: PV_PAE=1 (PAE layout, magic "xen-3.0-x86_32p") and PV_PAE=0 (the
 * classic 2-level layout, magic "xen-3.0-x86_32").
 */
#ifndef PV_H
#define PV_H

/* the current interface: sched_op is the new-style call 29, not the compat call 6 */
#define __XEN_INTERFACE_VERSION__ __XEN_LATEST_INTERFACE_VERSION__

#include <stdint.h>
#include <stdarg.h>
#include <xen/xen.h>
#include <xen/sched.h>
#include <xen/event_channel.h>
#include <xen/callback.h>
#include <xen/version.h>
#include <xen/vcpu.h>
#include <xen/memory.h>
#include <xen/errno.h>
#include <xen/physdev.h>

#ifndef PV_PAE
#error "build with -DPV_PAE=1 (PAE layout) or -DPV_PAE=0 (classic 2-level layout)"
#endif

#if PV_PAE
#define PV_LAYOUT           "PAE"
#define PV_MAGIC            "xen-3.0-x86_32p"
#define PV_HV_START         __HYPERVISOR_VIRT_START_PAE
#define PV_M2P_START        __MACH2PHYS_VIRT_START_PAE
#define PV_M2P_END          __MACH2PHYS_VIRT_END_PAE
#else
#define PV_LAYOUT           "classic"
#define PV_MAGIC            "xen-3.0-x86_32"
#define PV_HV_START         __HYPERVISOR_VIRT_START_NONPAE
#define PV_M2P_START        __MACH2PHYS_VIRT_START_NONPAE
#define PV_M2P_END          __MACH2PHYS_VIRT_END_NONPAE
#endif
/* the hypervisor's per-domain area (GDT pages, Xen's reserved GDT page) starts at the M2P's end */
#define PV_PERDOMAIN_START  PV_M2P_END

/* where the guest is linked and loaded (lib/pv-link.ld, XEN_ELFNOTE_VIRT_BASE) */
#define PV_VIRT_BASE        0xC0000000UL

/* The machine-to-physical table the hypervisor maps read-only (XEN-PV-ABI.md §1). */
#define PV_M2P              ((const volatile unsigned long *)PV_M2P_START)

/* PTE bits (SDM 4.3/4.4.2): the guest maps pages with these through update_va_mapping. */
#define PTE_P  0x001
#define PTE_RW 0x002
#define PTE_U  0x004
#define PTE_A  0x020
#define PTE_D  0x040
#define PTE_PS 0x080
#define PTE_G  0x100

/* a page-table entry: 8 bytes in the PAE layout, 4 in the classic one */
#if PV_PAE
typedef uint64_t pte_t;
#define PTES_PER_PAGE 512
#else
typedef uint32_t pte_t;
#define PTES_PER_PAGE 1024
#endif

extern char hypercall_page[4096];
extern start_info_t *start_info;
/* shared_info, mapped by pv_start over a page of the guest's .bss */
extern volatile shared_info_t *shared_info;

/* ---- hypercalls: number in EAX, arguments in EBX ECX EDX ESI EDI, result in EAX ---- */
#define PV_STR_(x) #x
#define PV_STR(x) PV_STR_(x)
#define PV_CALL(name) "call hypercall_page + (" PV_STR(__HYPERVISOR_##name) " * 32)"

#define _hypercall1(name, a1) ({ long r_, b_; \
  asm volatile(PV_CALL(name) : "=a"(r_), "=b"(b_) : "1"((long)(a1)) : "memory", "ecx", "edx"); r_; })
#define _hypercall2(name, a1, a2) ({ long r_, b_, c_; \
  asm volatile(PV_CALL(name) : "=a"(r_), "=b"(b_), "=c"(c_) : "1"((long)(a1)), "2"((long)(a2)) \
               : "memory", "edx"); r_; })
#define _hypercall3(name, a1, a2, a3) ({ long r_, b_, c_, d_; \
  asm volatile(PV_CALL(name) : "=a"(r_), "=b"(b_), "=c"(c_), "=d"(d_) \
               : "1"((long)(a1)), "2"((long)(a2)), "3"((long)(a3)) : "memory"); r_; })
#define _hypercall4(name, a1, a2, a3, a4) ({ long r_, b_, c_, d_, S_; \
  asm volatile(PV_CALL(name) : "=a"(r_), "=b"(b_), "=c"(c_), "=d"(d_), "=S"(S_) \
               : "1"((long)(a1)), "2"((long)(a2)), "3"((long)(a3)), "4"((long)(a4)) : "memory"); r_; })

static inline long HYPERVISOR_set_trap_table(const struct trap_info *t) { return _hypercall1(set_trap_table, t); }
static inline long HYPERVISOR_set_gdt(const unsigned long *frames, unsigned entries) { return _hypercall2(set_gdt, frames, entries); }
static inline long HYPERVISOR_update_descriptor(uint64_t ma, uint64_t desc) {
  return _hypercall4(update_descriptor, (uint32_t)ma, (uint32_t)(ma >> 32), (uint32_t)desc, (uint32_t)(desc >> 32));
}
static inline long HYPERVISOR_stack_switch(unsigned long ss, unsigned long esp) { return _hypercall2(stack_switch, ss, esp); }
static inline long HYPERVISOR_console_io(int cmd, int count, const char *buf) { return _hypercall3(console_io, cmd, count, buf); }
static inline long HYPERVISOR_sched_op(int cmd, void *arg) { return _hypercall2(sched_op, cmd, arg); }
static inline long HYPERVISOR_xen_version(int cmd, void *arg) { return _hypercall2(xen_version, cmd, arg); }
static inline long HYPERVISOR_event_channel_op(int cmd, void *arg) { return _hypercall2(event_channel_op, cmd, arg); }
static inline long HYPERVISOR_callback_op(int cmd, const void *arg) { return _hypercall2(callback_op, cmd, arg); }
/* 64-bit arguments are split low/high (XEN-PV-ABI.md §2) */
static inline long HYPERVISOR_set_timer_op(uint64_t ns) { return _hypercall2(set_timer_op, (uint32_t)ns, (uint32_t)(ns >> 32)); }
static inline long HYPERVISOR_vcpu_op(int cmd, unsigned vcpu, void *arg) { return _hypercall3(vcpu_op, cmd, vcpu, arg); }
static inline long HYPERVISOR_physdev_op(int cmd, void *arg) { return _hypercall2(physdev_op, cmd, arg); }
static inline long HYPERVISOR_update_va_mapping(unsigned long va, uint64_t pte, unsigned long flags) {
  return _hypercall4(update_va_mapping, va, (uint32_t)pte, (uint32_t)(pte >> 32), flags);
}
static inline long HYPERVISOR_memory_op(unsigned cmd, void *arg) { return _hypercall2(memory_op, cmd, arg); }
static inline long HYPERVISOR_mmu_update(const mmu_update_t *req, unsigned count, unsigned *done, domid_t dom) {
  return _hypercall4(mmu_update, req, count, done, dom);
}
static inline long HYPERVISOR_mmuext_op(const struct mmuext_op *op, unsigned count, unsigned *done, domid_t dom) {
  return _hypercall4(mmuext_op, op, count, done, dom);
}
static inline long HYPERVISOR_vm_assist(unsigned cmd, unsigned type) { return _hypercall2(vm_assist, cmd, type); }

/* one mmu_update request (MMU_NORMAL_PT_UPDATE at machine address `ma`, or another command) */
static inline long pv_mmu_update1(uint64_t ptr, uint64_t val) {
  mmu_update_t u = { .ptr = ptr, .val = val };
  return HYPERVISOR_mmu_update(&u, 1, 0, DOMID_SELF);
}
/* one mmuext_op with a frame argument (pin/unpin, NEW_BASEPTR, CLEAR_PAGE) */
static inline long pv_mmuext_mfn(unsigned cmd, unsigned long mfn) {
  struct mmuext_op op = { .cmd = cmd, .arg1.mfn = mfn };
  return HYPERVISOR_mmuext_op(&op, 1, 0, DOMID_SELF);
}
/* the machine address of a page-table entry seen through the guest's mapping of its table */
static inline uint64_t pv_entry_ma(volatile const void *entry) {
  extern unsigned long pv_virt_to_mfn(const void *va);
  return (uint64_t)pv_virt_to_mfn((const void *)entry) << 12 | ((unsigned long)entry & 0xfff);
}

/* MMUEXT_INVLPG_LOCAL / TLB_FLUSH_LOCAL */
static inline long pv_invlpg(unsigned long va) {
  struct mmuext_op op = { .cmd = MMUEXT_INVLPG_LOCAL, .arg1.linear_addr = va };
  return HYPERVISOR_mmuext_op(&op, 1, 0, DOMID_SELF);
}
static inline long pv_flush_tlb(void) {
  struct mmuext_op op = { .cmd = MMUEXT_TLB_FLUSH_LOCAL };
  return HYPERVISOR_mmuext_op(&op, 1, 0, DOMID_SELF);
}

/* memory_op reservations (XENMEM_increase/decrease_reservation, populate_physmap): the number of
 * extents done. `list` holds mfns (or gpfns for populate_physmap) and receives the new mfns. */
static inline long pv_reservation(unsigned cmd, unsigned long *list, unsigned long n, unsigned order, unsigned flags, domid_t dom) {
  struct xen_memory_reservation r = { .nr_extents = n, .extent_order = order, .mem_flags = flags, .domid = dom };
  set_xen_guest_handle(r.extent_start, list);
  return HYPERVISOR_memory_op(cmd, &r);
}
/* XENMEM_current_reservation / maximum_reservation / maximum_gpfn of a domain */
static inline long pv_reservation_info(unsigned cmd, domid_t dom) { return HYPERVISOR_memory_op(cmd, &dom); }

/* ---- the library (lib/pv-lib.c) ---- */
int vsnprintk(char *buf, int size, const char *fmt, va_list ap);
int printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pv_shutdown(unsigned reason) __attribute__((noreturn));
/* vcpu_time_info.system_time (ns): consistent when the version is even and unchanged across the
 * read (XEN-PV-ABI.md, time) */
static inline uint64_t pv_system_time(void) {
  volatile struct vcpu_time_info *t = &shared_info->vcpu_info[0].time;
  uint32_t ver;
  uint64_t st;
  do {
    ver = t->version;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    st = t->system_time;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
  } while ((ver & 1) || ver != t->version);
  return st;
}
/* machine frame of a page of the guest's initial mapping, from the P2M list */
unsigned long pv_virt_to_mfn(const void *va);
/* the guest's P2M list (start_info.mfn_list) and the pseudo-physical frame of a kernel address */
#define PV_P2M ((unsigned long *)start_info->mfn_list)
#define pv_virt_to_pfn(va) (((unsigned long)(va) - PV_VIRT_BASE) >> 12)
/* the frame an entry maps */
#define pte_mfn(e) ((unsigned long)(((uint64_t)(e) & 0x000ffffffffff000ULL) >> 12))
/* a machine frame of the domain's initial memory at its kernel address (through the M2P) */
static inline void *pv_mfn_to_virt(unsigned long mfn) { return (void *)(PV_VIRT_BASE + (PV_M2P[mfn] << 12)); }
/* the L2 entry covering `va` in the boot address space (start_info.pt_base), read through the
 * guest's read-only mapping of its tables */
static inline volatile pte_t *pv_l2e(unsigned long va) {
#if PV_PAE
  const pte_t *l3 = (const pte_t *)start_info->pt_base;
  pte_t *l2 = (pte_t *)pv_mfn_to_virt(pte_mfn(l3[va >> 30]));
  return &l2[(va >> 21) & 511];
#else
  return &((pte_t *)start_info->pt_base)[va >> 22];
#endif
}
/* the L1 entry mapping `va` in the boot address space */
static inline volatile pte_t *pv_l1e(unsigned long va) {
  pte_t *l1 = (pte_t *)pv_mfn_to_virt(pte_mfn(*pv_l2e(va)));
  return &l1[(va >> 12) & (PTES_PER_PAGE - 1)];
}
int pv_strcmp(const char *a, const char *b);
void *pv_memset(void *p, int c, unsigned n);

/* Each guest's main: runs its checks; pv_start prints the verdict and shuts down (poweroff when
 * every check passed, crash otherwise). */
int main(void);

/* ---- checks: one line per check ("ok N - what" / "not ok N - what: detail"), then a verdict ---- */
void pv_check(int ok, const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void pv_check_eq(unsigned long got, unsigned long want, const char *file, int line, const char *what);
#define CHECK(cond, ...) pv_check(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define CHECK_EQ(got, want, what) pv_check_eq((unsigned long)(got), (unsigned long)(want), __FILE__, __LINE__, what)

#endif
