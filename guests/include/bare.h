/* bare.h: the tiny SDK of the bare-machine guests (multiboot v1, 32-bit protected mode).
 *
 * Every guest provides `void test_main(void)`; the library's entry code has already loaded a flat
 * GDT (ring 0/3 code and data), a TSS and an IDT whose stubs record each exception in `fault`.
 * Checks print `ok <name>` or `FAIL <name>: expected X got Y`; `finish()` prints the verdict line
 * and exits through the exit port 0xF4 (0x10 = pass, 0x11 = fail). */
#ifndef BARE_H
#define BARE_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

/* GDT selectors (see lib/entry.S). Slots SEL_SPARE0.. are free for guests (gdt_set). */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE 0x1B
#define SEL_UDATA 0x23
#define SEL_TSS 0x28
#define SEL_SPARE0 0x30 /* slots 6..15 */
#define GDT_ENTRIES 16

/* Descriptor access bytes. */
#define ACC_CODE0 0x9A /* present, DPL 0, code, readable */
#define ACC_DATA0 0x92 /* present, DPL 0, data, writable */
#define ACC_CODE3 0xFA
#define ACC_DATA3 0xF2
#define FLG_4K32 0xC /* granularity 4 KiB, 32-bit */

#define PG_P 0x001
#define PG_W 0x002
#define PG_U 0x004
#define PG_PWT 0x008
#define PG_PCD 0x010
#define PG_A 0x020
#define PG_D 0x040
#define PG_PS 0x080
#define PG_G 0x100

#define CR0_WP (1u << 16)
#define CR0_PG (1u << 31)
#define CR4_PSE (1u << 4)
#define CR4_PAE (1u << 5)
#define CR4_PGE (1u << 7)
#define EFER_MSR 0xC0000080u
#define EFER_NXE (1u << 11)

/* ---- the exception record (written by the IDT stubs in lib/entry.S) ---- */
struct fault {
  u32 vector, error, eip, cs, eflags, esp, ss; /* esp/ss: only after a privilege change */
  u32 cr2, count;
  u32 frame; /* ring-0 address of the pushed EIP (shows which stack was used) */
};
extern volatile struct fault fault;
extern volatile u32 fault_resume; /* nonzero: the next exception resumes there (one shot) */
#define NO_FAULT 0xFFFFFFFFu

/* Arm a recovery point around one inline-asm block:
 *   fault_reset(); asm volatile(ARM "movl (%0), %%eax" LAND :: "r"(p) : "eax", "memory");
 * If the code faults, the stub records it and resumes at LAND's label (all registers restored). */
#define ARM "movl $1f, fault_resume\n\t"
#define LAND "\n1:\tmovl $0, fault_resume\n\t"

/* ---- port I/O and control registers ---- */
static inline void outb(u16 port, u8 v) { asm volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline u8 inb(u16 port) { u8 v; asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
#define CR_ACCESSORS(n) \
  static inline u32 read_cr##n(void) { u32 v; asm volatile("mov %%cr" #n ", %0" : "=r"(v)); return v; } \
  static inline void write_cr##n(u32 v) { asm volatile("mov %0, %%cr" #n ::"r"(v) : "memory"); }
CR_ACCESSORS(0)
CR_ACCESSORS(2)
CR_ACCESSORS(3)
CR_ACCESSORS(4)
static inline void invlpg(const volatile void *va) { asm volatile("invlpg (%0)" ::"r"(va) : "memory"); }
static inline u64 rdmsr(u32 msr) { u32 lo, hi; asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr)); return ((u64)hi << 32) | lo; }
static inline void wrmsr(u32 msr, u64 v) { asm volatile("wrmsr" ::"c"(msr), "a"((u32)v), "d"((u32)(v >> 32))); }
static inline u32 read_eflags(void) { u32 v; asm volatile("pushf; pop %0" : "=r"(v)); return v; }

/* ---- output and checks (lib/lib.c) ---- */
void printk(const char *fmt, ...);
void check(const char *name, int cond);
void check_eq(const char *name, u32 expected, u32 got);
/* One exception was recorded with this vector and error code (NO_FAULT: none expected). */
void expect_fault(const char *name, u32 vector, u32 error);
void expect_no_fault(const char *name);
void fault_reset(void);
__attribute__((noreturn)) void finish(void);
__attribute__((noreturn)) void exit_port(u8 code);
void test_main(void);
extern const char guest_name[]; /* defined by each guest: GUEST("name") */
#define GUEST(n) const char guest_name[] = n

/* ---- descriptor tables (lib/lib.c) ---- */
struct tss {
  u32 link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
  u32 eax, ecx, edx, ebx, esp, ebp, esi, edi;
  u32 es, cs, ss, ds, fs, gs, ldt;
  u16 trap, iomap_base;
  u8 iomap[8192 + 1]; /* bit set = port denied; the final 0xFF byte is required by the SDM */
} __attribute__((packed));
extern struct tss tss;
extern u64 gdt[GDT_ENTRIES];
void gdt_set(u32 sel, u32 base, u32 limit, u8 access, u8 flags4);
/* A call gate in the GDT: DPL 3, target selector:offset, `params` dwords copied. */
void gdt_set_call_gate(u32 sel, u16 target_sel, void *target, u8 params);
/* Interrupt gate: vector -> handler with selector and DPL; present=0 makes it not present. */
void idt_set(u32 vector, void *handler, u16 sel, u8 dpl, int present);
extern u8 isr_stubs[]; /* default stubs, 16 bytes each, for vectors 0..255 */
#define ISR_STUB(v) ((void *)(isr_stubs + 16 * (v)))

/* ---- ring 3 (lib/entry.S) ----
 * user_run(fn, stack_top) IRETs to ring 3 at fn with ESP = stack_top - 4 (a return address to a
 * stub doing INT 0x80); INT 0x80 (DPL 3) abandons ring 3 and returns fn's EAX from user_run.
 * `user_eflags` is the EFLAGS image given to ring 3 (default 0x2: IF=0, IOPL 0). */
u32 user_run(u32 (*fn)(void), void *stack_top);
extern volatile u32 user_eflags;
extern volatile u32 syscall_frame[5]; /* EIP CS EFLAGS ESP SS pushed by the INT 0x80 */
extern volatile u32 syscall_frame_at;  /* where that frame was (ring-0 stack address) */
extern u8 ring0_stack_top[];           /* TSS.ESP0 */
extern u8 user_stack_top[];
#define USER_VECTOR 0x80

/* ---- identity paging helper (lib/paging.c): first 16 MiB, 4 KiB pages ---- */
extern u32 page_dir[1024];
void paging_identity(u32 flags); /* build page_dir + tables mapping 0..16 MiB with `flags` */
u32 *pte_of(u32 va);              /* the PTE for va in those tables */
void paging_on(void);             /* CR3 = page_dir, CR0.PG = 1 */
void paging_off(void);

#define PAGE_ALIGNED __attribute__((aligned(4096)))
#endif
