/*
 * bench: the project's benchmark workloads on the bare machine (scripts/bench.ts runs them).
 * The multiboot command line says which and how many iterations: `w=<workload> n=<iterations>`.
 * The kernel runs the loop once, prints `DONE <workload> <checksum>` and exits through port 0xF4
 * (0x10: exit status 33). `w=null` exits after the SDK's setup; start-up is measured on bench/null.S.
 */
#include "bare.h"

GUEST("bench");

u32 w_alu(u32 n), w_mem(u32 n), w_call(u32 n), w_tlb(u32 n), w_pf(u32 n), w_smc(u32 n);
u32 user_syscalls(void);
void sys_entry(void), pf_entry(void);
extern u32 pf_pte;
extern u8 pf_page[];
u32 bench_n;

static int streq(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}

/* the value of `key=` in the command line (multiboot info: flags bit 2, cmdline at offset 16) */
static const char *arg(const char *cmdline, const char *key, char *buf, u32 size) {
  for (const char *p = cmdline; *p; p++) {
    if (p != cmdline && p[-1] != ' ') continue;
    const char *k = key, *q = p;
    while (*k && *q == *k) k++, q++;
    if (*k || *q != '=') continue;
    u32 i = 0;
    for (q++; *q && *q != ' ' && i + 1 < size; q++) buf[i++] = *q;
    buf[i] = 0;
    return buf;
  }
  return 0;
}

extern u32 mb_info;

static u32 run(const char *w, u32 n) {
  if (streq(w, "alu")) return w_alu(n);
  if (streq(w, "call")) return w_call(n);
  if (streq(w, "smc")) return w_smc(n);
  if (streq(w, "syscall")) {
    idt_set(0x81, sys_entry, SEL_KCODE, 3, 1);
    bench_n = n;
    return user_run(user_syscalls, user_stack_top);
  }
  paging_identity(PG_P | PG_W);
  paging_on();
  if (streq(w, "mem")) return w_mem(n);
  if (streq(w, "tlb")) return w_tlb(n);
  if (streq(w, "pf")) {
    pf_pte = (u32)pte_of((u32)pf_page);
    idt_set(14, pf_entry, SEL_KCODE, 0, 1);
    return w_pf(n);
  }
  printk("FAIL bench: unknown workload %s\n", w);
  exit_port(0x11);
}

void test_main(void) {
  const u32 *info = (const u32 *)mb_info;
  const char *cmdline = (info[0] & 4) ? (const char *)info[4] : "";
  char w[16], nbuf[12];
  if (!arg(cmdline, "w", w, sizeof w)) {
    printk("FAIL bench: no w=<workload> in the command line\n");
    exit_port(0x11);
  }
  u32 n = 0;
  if (arg(cmdline, "n", nbuf, sizeof nbuf))
    for (const char *p = nbuf; *p >= '0' && *p <= '9'; p++) n = n * 10 + (u32)(*p - '0');
  if (streq(w, "null")) exit_port(0x10);
  if (n == 0) {
    printk("FAIL bench: n=<iterations> must be at least 1\n");
    exit_port(0x11);
  }
  printk("DONE %s %x\n", w, run(w, n));
  exit_port(0x10);
}
