/*
 * bench: the project's benchmark workloads for a PV guest (scripts/bench.ts runs them).
 * start_info.cmd_line says which and how many iterations: `w=<workload> n=<iterations>`.
 *   hypercall  xen_version(XENVER_version) round trips
 *   bounce     #UD bounced to the kernel and back by HYPERVISOR_iret
 *   fastsys    ring 3 int $0x80 through the direct path
 *   slowsys    ring 3 int $0x83, bounced by the hypervisor
 * The kernel prints `DONE <workload> <checksum>`, checks the event count and powers off.
 */
#include <pv.h>

extern char __user_start[], __user_end[];
extern unsigned long bench_n, bench_count;
unsigned long w_bounce(unsigned long n);
unsigned long enter_user(void (*fn)(void));
void ud_entry(void), sys80_entry(void), sys83_entry(void), user_fast(void), user_slow(void);

static char kernel_stack[2 * 4096] __attribute__((aligned(16)));

static const struct trap_info traps[] = {
  { 6, 0, FLAT_KERNEL_CS, (unsigned long)ud_entry },
  { 0x80, 3, FLAT_KERNEL_CS, (unsigned long)sys80_entry },   /* DPL 3: the direct path */
  { 0x83, 3, FLAT_KERNEL_CS, (unsigned long)sys83_entry },   /* DPL 3, bounced */
  { 0, 0, 0, 0 },
};

static int streq(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}

/* the value of `key=` in the command line */
static const char *arg(const char *cmdline, const char *key, char *buf, unsigned size) {
  for (const char *p = cmdline; *p; p++) {
    if (p != cmdline && p[-1] != ' ') continue;
    const char *k = key, *q = p;
    while (*k && *q == *k) k++, q++;
    if (*k || *q != '=') continue;
    unsigned i = 0;
    for (q++; *q && *q != ' ' && i + 1 < size; q++) buf[i++] = *q;
    buf[i] = 0;
    return buf;
  }
  return 0;
}

static unsigned long to_user(void (*fn)(void)) {
  for (char *va = __user_start; va < __user_end; va += 4096) {
    uint64_t pte = (uint64_t)pv_virt_to_mfn(va) << 12 | PTE_P | PTE_RW | PTE_U | PTE_A | PTE_D;
    if (HYPERVISOR_update_va_mapping((unsigned long)va, pte, UVMF_INVLPG) != 0) return 0;
  }
  HYPERVISOR_stack_switch(FLAT_KERNEL_SS, (unsigned long)kernel_stack + sizeof kernel_stack);
  return enter_user(fn);
}

int main(void) {
  const char *cmdline = (const char *)start_info->cmd_line;
  char w[16], nbuf[12];
  unsigned long n = 0, sum = 0;
  if (arg(cmdline, "n", nbuf, sizeof nbuf))
    for (const char *p = nbuf; *p >= '0' && *p <= '9'; p++) n = n * 10 + (unsigned long)(*p - '0');
  if (!arg(cmdline, "w", w, sizeof w) || n == 0) {
    CHECK(0, "command line: w=<workload> n=<iterations at least 1> (got \"%s\")", cmdline);
    return 0;
  }
  CHECK_EQ(HYPERVISOR_set_trap_table(traps), 0, "set_trap_table");
  bench_n = n;
  if (streq(w, "hypercall")) {
    for (unsigned long i = 0; i < n; i++) sum += HYPERVISOR_xen_version(XENVER_version, 0);
    bench_count = n;
  } else if (streq(w, "bounce")) {
    sum = w_bounce(n);
  } else if (streq(w, "fastsys")) {
    sum = to_user(user_fast);
  } else if (streq(w, "slowsys")) {
    sum = to_user(user_slow);
  } else {
    CHECK(0, "unknown workload %s", w);
    return 0;
  }
  CHECK_EQ(bench_count, n, "events counted");
  printk("DONE %s %x\n", w, (unsigned)sum);
  return 0;
}
