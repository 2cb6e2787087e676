/* iopl: I/O sensitivity at ring 3. With CPL > IOPL, CLI/STI fault with #GP(0), and IN/OUT are
 * allowed only if every port's bit in the TSS I/O permission bitmap is clear (SDM 19.5);
 * with IOPL = 3 everything is allowed. POPF at CPL > 0 leaves IOPL unchanged (no fault). */
#include "bare.h"
GUEST("iopl");

#define PORT_OK 0x80   /* POST diagnostic port: harmless */
#define PORT_DENY 0x81 /* its neighbour */
#define IOPL3 (3u << 12)

static u32 user_in(void) {
  asm volatile(ARM "inb %0, %%al" LAND ::"i"(PORT_OK) : "eax", "memory");
  return 0;
}
static u32 user_out(void) {
  asm volatile(ARM "outb %%al, %0" LAND ::"i"(PORT_OK) : "memory");
  return 0;
}
static u32 user_out_deny(void) {
  asm volatile(ARM "outb %%al, %0" LAND ::"i"(PORT_DENY) : "memory");
  return 0;
}
static u32 user_out_dx_word(void) { /* 16-bit OUT to 0x80: ports 0x80 and 0x81 */
  asm volatile(ARM "outw %%ax, %%dx" LAND ::"d"(PORT_OK) : "memory");
  return 0;
}
static u32 user_cli(void) {
  asm volatile(ARM "cli" LAND ::: "memory");
  return 0;
}
static u32 user_popf_iopl(void) { /* try to raise IOPL to 3; return the EFLAGS we got */
  u32 f;
  asm volatile("pushl %1\n\tpopf\n\tpushf\n\tpop %0" : "=r"(f) : "r"(0x2u | IOPL3) : "cc");
  return f;
}

void test_main(void) {
  /* IOPL 0, bitmap denies everything (lib_init). */
  user_eflags = 0x2;
  fault_reset(); user_run(user_in, user_stack_top);
  expect_fault("IOPL 0, port denied: IN #GP(0)", 13, 0);
  fault_reset(); user_run(user_out, user_stack_top);
  expect_fault("IOPL 0, port denied: OUT #GP(0)", 13, 0);
  fault_reset(); user_run(user_cli, user_stack_top);
  expect_fault("IOPL 0: CLI #GP(0)", 13, 0);
  check_eq("POPF at ring 3 cannot raise IOPL", 0, user_run(user_popf_iopl, user_stack_top) & IOPL3);

  /* IOPL 3: I/O and CLI allowed regardless of the bitmap. */
  user_eflags = 0x2 | IOPL3;
  fault_reset(); user_run(user_in, user_stack_top);
  expect_no_fault("IOPL 3: IN allowed");
  fault_reset(); user_run(user_out_deny, user_stack_top);
  expect_no_fault("IOPL 3: OUT allowed even where the bitmap denies");
  fault_reset(); user_run(user_cli, user_stack_top);
  expect_no_fault("IOPL 3: CLI allowed");

  /* IOPL 0 with the bitmap allowing PORT_OK only. */
  user_eflags = 0x2;
  tss.iomap[PORT_OK / 8] &= ~(1u << (PORT_OK % 8));
  fault_reset(); user_run(user_in, user_stack_top);
  expect_no_fault("bitmap allows port 0x80: IN");
  fault_reset(); user_run(user_out, user_stack_top);
  expect_no_fault("bitmap allows port 0x80: OUT");
  fault_reset(); user_run(user_out_deny, user_stack_top);
  expect_fault("bitmap denies port 0x81: OUT #GP(0)", 13, 0);
  fault_reset(); user_run(user_out_dx_word, user_stack_top);
  expect_fault("16-bit OUT to 0x80 needs 0x81 too: #GP(0)", 13, 0);
  fault_reset(); user_run(user_cli, user_stack_top);
  expect_fault("the bitmap does not allow CLI: #GP(0)", 13, 0);

  /* The bitmap offset is checked against the TSS limit: a map base past the limit denies all. */
  tss.iomap_base = 0xFFFF;
  fault_reset(); user_run(user_in, user_stack_top);
  expect_fault("I/O map base past the TSS limit: IN #GP(0)", 13, 0);
  tss.iomap_base = __builtin_offsetof(struct tss, iomap);
}
