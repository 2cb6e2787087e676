/* lib.c: console (COM1 + port 0xE9), printk, checks and verdict, GDT/TSS/IDT setup. */
#include <stdarg.h>
#include "bare.h"

#define COM1 0x3F8
#define DEBUGCON 0xE9
#define EXIT_PORT 0xF4

u32 mb_magic, mb_info;
volatile struct fault fault;
volatile u32 fault_resume;
volatile u32 user_eflags = 0x2;
volatile u32 syscall_frame[5];
volatile u32 syscall_frame_at;
u64 gdt[GDT_ENTRIES] __attribute__((aligned(8)));
static u64 idt[256] __attribute__((aligned(8)));
struct tss tss __attribute__((aligned(128)));
static u32 failures;
extern void isr_user(void);

/* ---- console ----
 * Output is line-buffered and each whole line goes to COM1, then to port 0xE9, so a host that
 * shows both streams on one terminal prints each line twice rather than interleaving them. */
static char line[160];
static u32 line_len;

static void flush_line(void) {
  for (u32 i = 0; i < line_len; i++) {
    /* Wait (boundedly) for THR empty (LSR bit 5), so a device that never sets it cannot hang us. */
    for (int n = 0; n < 1000 && !(inb(COM1 + 5) & 0x20); n++) {}
    outb(COM1, line[i]);
  }
  for (u32 i = 0; i < line_len; i++) outb(DEBUGCON, line[i]);
  line_len = 0;
}

static void putc(char c) {
  line[line_len++] = c;
  if (c == '\n' || line_len == sizeof line) flush_line();
}

static void puts(const char *s) { while (*s) putc(*s++); }

static void put_uint(u32 v, u32 base) {
  char buf[12];
  int i = 0;
  do { buf[i++] = "0123456789abcdef"[v % base]; v /= base; } while (v);
  while (i) putc(buf[--i]);
}

/* %s %c %u %d %x (%x prints 0x-prefixed hex), %% */
void printk(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  for (; *fmt; fmt++) {
    if (*fmt != '%') { putc(*fmt); continue; }
    switch (*++fmt) {
    case 's': puts(va_arg(ap, const char *)); break;
    case 'c': putc((char)va_arg(ap, int)); break;
    case 'u': put_uint(va_arg(ap, u32), 10); break;
    case 'd': { int v = va_arg(ap, int); if (v < 0) { putc('-'); v = -v; } put_uint((u32)v, 10); break; }
    case 'x': puts("0x"); put_uint(va_arg(ap, u32), 16); break;
    case '%': putc('%'); break;
    default: putc('?'); break;
    }
  }
  va_end(ap);
}

/* ---- checks ---- */
void check(const char *name, int cond) {
  if (cond) { printk("ok %s\n", name); return; }
  printk("FAIL %s: expected true got false\n", name);
  failures++;
}

void check_eq(const char *name, u32 expected, u32 got) {
  if (expected == got) { printk("ok %s\n", name); return; }
  printk("FAIL %s: expected %x got %x\n", name, expected, got);
  failures++;
}

void fault_reset(void) {
  fault.vector = NO_FAULT;
  fault.error = NO_FAULT;
  fault.cr2 = 0;
  fault.count = 0;
}

void expect_fault(const char *name, u32 vector, u32 error) {
  if (fault.count == 1 && fault.vector == vector && fault.error == error) {
    printk("ok %s\n", name);
    return;
  }
  printk("FAIL %s: expected vector %u error %x got vector %u error %x (%u faults)\n", name,
         vector, error, fault.vector, fault.error, fault.count);
  failures++;
}

void expect_no_fault(const char *name) {
  if (fault.count == 0) { printk("ok %s\n", name); return; }
  printk("FAIL %s: expected no fault got vector %u error %x at %x\n", name, fault.vector,
         fault.error, fault.eip);
  failures++;
}

void exit_port(u8 code) {
  flush_line();
  outb(EXIT_PORT, code);
  for (;;) asm volatile("cli; hlt");
}

void finish(void) {
  if (failures == 0) {
    printk("PASS %s\n", guest_name);
    exit_port(0x10);
  }
  printk("FAIL %s (%u failed)\n", guest_name, failures);
  exit_port(0x11);
}

/* Called by isr_common for an exception nobody armed a recovery point for. */
void unexpected_fault(u32 *frame) {
  /* frame: pusha(8) es ds vector error eip cs eflags */
  printk("FAIL unexpected exception vector %u error %x eip %x cs %x cr2 %x\n", frame[10],
         frame[11], frame[12], frame[13], read_cr2());
  failures++;
  finish();
}

/* ---- descriptor tables ---- */
void gdt_set(u32 sel, u32 base, u32 limit, u8 access, u8 flags4) {
  u64 d = (limit & 0xFFFF) | ((u64)(base & 0xFFFFFF) << 16) | ((u64)access << 40) |
          ((u64)((limit >> 16) & 0xF) << 48) | ((u64)(flags4 & 0xF) << 52) |
          ((u64)(base >> 24) << 56);
  gdt[sel >> 3] = d;
}

void gdt_set_call_gate(u32 sel, u16 target_sel, void *target, u8 params) {
  u32 off = (u32)target;
  gdt[sel >> 3] = (off & 0xFFFF) | ((u64)target_sel << 16) | ((u64)(params & 0x1F) << 32) |
                  ((u64)0xEC << 40) /* present, DPL 3, 32-bit call gate */ |
                  ((u64)(off >> 16) << 48);
}

void idt_set(u32 vector, void *handler, u16 sel, u8 dpl, int present) {
  u32 off = (u32)handler;
  u8 type = (present ? 0x80 : 0) | (dpl << 5) | 0xE; /* 32-bit interrupt gate */
  idt[vector] = (off & 0xFFFF) | ((u64)sel << 16) | ((u64)type << 40) | ((u64)(off >> 16) << 48);
}

void lib_init(void) {
  /* COM1: 115200 8N1, FIFO on. */
  outb(COM1 + 1, 0x00);
  outb(COM1 + 3, 0x80);
  outb(COM1 + 0, 0x01);
  outb(COM1 + 1, 0x00);
  outb(COM1 + 3, 0x03);
  outb(COM1 + 2, 0xC7);

  gdt_set(SEL_KCODE, 0, 0xFFFFF, ACC_CODE0, FLG_4K32);
  gdt_set(SEL_KDATA, 0, 0xFFFFF, ACC_DATA0, FLG_4K32);
  gdt_set(SEL_UCODE, 0, 0xFFFFF, ACC_CODE3, FLG_4K32);
  gdt_set(SEL_UDATA, 0, 0xFFFFF, ACC_DATA3, FLG_4K32);
  tss.ss0 = SEL_KDATA;
  tss.esp0 = (u32)ring0_stack_top;
  tss.iomap_base = __builtin_offsetof(struct tss, iomap);
  for (u32 i = 0; i < sizeof tss.iomap; i++) tss.iomap[i] = 0xFF; /* all ports denied */
  gdt_set(SEL_TSS, (u32)&tss, sizeof tss - 1, 0x89 /* present, 32-bit TSS available */, 0);

  struct { u16 limit; u32 base; } __attribute__((packed)) gdtr = { sizeof gdt - 1, (u32)gdt };
  asm volatile("lgdt %0\n\t"
               "ljmp %1, $1f\n"
               "1:\tmov %2, %%ax\n\t"
               "mov %%ax, %%ds\n\tmov %%ax, %%es\n\tmov %%ax, %%fs\n\t"
               "mov %%ax, %%gs\n\tmov %%ax, %%ss\n\t"
               "mov %3, %%ax\n\tltr %%ax"
               :: "m"(gdtr), "i"(SEL_KCODE), "i"(SEL_KDATA), "i"(SEL_TSS) : "eax", "memory");

  for (u32 v = 0; v < 256; v++) idt_set(v, ISR_STUB(v), SEL_KCODE, 0, 1);
  idt_set(USER_VECTOR, isr_user, SEL_KCODE, 3, 1);
  struct { u16 limit; u32 base; } __attribute__((packed)) idtr = { sizeof idt - 1, (u32)idt };
  asm volatile("lidt %0" ::"m"(idtr));
  fault_reset();

  /* The multiboot loader must enter with EAX = 0x2BADB002 (multiboot spec 3.2). */
  check_eq("multiboot magic", 0x2BADB002, mb_magic);
}
