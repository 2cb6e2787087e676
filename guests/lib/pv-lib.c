/*
 * The PV guest SDK's library: pv_start (maps shared_info, runs main, prints the verdict, shuts
 * down), printk through console_io, the check counters.
 */
#include <pv.h>

start_info_t *start_info;
volatile shared_info_t *shared_info;
static char shared_info_page[4096] __attribute__((aligned(4096)));

static unsigned checks, failures;

int pv_strcmp(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return (unsigned char)*a - (unsigned char)*b;
}

void *pv_memset(void *p, int c, unsigned n) {
  char *d = p;
  while (n--) *d++ = (char)c;
  return p;
}

/* ---- printk: %s %c %d %u %x %p %%, with an optional 0 flag and width ---- */
struct out { char *buf; int size, len; };

static void put(struct out *o, char c) {
  if (o->len < o->size - 1) o->buf[o->len] = c;
  o->len++;
}

static void put_num(struct out *o, unsigned long v, unsigned base, int neg, int width, char pad) {
  char tmp[12];
  int n = 0;
  do { tmp[n++] = "0123456789abcdef"[v % base]; v /= base; } while (v);
  if (neg) tmp[n++] = '-';
  while (width-- > n) put(o, pad);
  while (n) put(o, tmp[--n]);
}

int vsnprintk(char *buf, int size, const char *fmt, va_list ap) {
  struct out o = { buf, size, 0 };
  for (; *fmt; fmt++) {
    if (*fmt != '%') { put(&o, *fmt); continue; }
    char pad = ' ';
    int width = 0;
    if (*++fmt == '0') pad = '0', fmt++;
    while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
    switch (*fmt) {
      case 's': { const char *s = va_arg(ap, const char *); while (*s) put(&o, *s++); break; }
      case 'c': put(&o, (char)va_arg(ap, int)); break;
      case 'd': { long v = va_arg(ap, int); put_num(&o, v < 0 ? -(unsigned long)v : (unsigned long)v, 10, v < 0, width, pad); break; }
      case 'u': put_num(&o, va_arg(ap, unsigned), 10, 0, width, pad); break;
      case 'x': put_num(&o, va_arg(ap, unsigned), 16, 0, width, pad); break;
      case 'p': put(&o, '0'); put(&o, 'x'); put_num(&o, (unsigned long)va_arg(ap, void *), 16, 0, 8, '0'); break;
      case '%': put(&o, '%'); break;
      default: put(&o, '%'); put(&o, *fmt); break;
    }
  }
  if (size > 0) buf[o.len < size ? o.len : size - 1] = 0;
  return o.len;
}

int printk(const char *fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintk(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > (int)sizeof buf - 1) n = sizeof buf - 1;
  HYPERVISOR_console_io(CONSOLEIO_write, n, buf);
  return n;
}

void pv_shutdown(unsigned reason) {
  struct sched_shutdown s = { .reason = reason };
  for (;;) HYPERVISOR_sched_op(SCHEDOP_shutdown, &s);
}

unsigned long pv_virt_to_mfn(const void *va) {
  unsigned long pfn = ((unsigned long)va - PV_VIRT_BASE) >> 12;
  return ((const unsigned long *)start_info->mfn_list)[pfn];
}

/* ---- checks ---- */
void pv_check(int ok, const char *file, int line, const char *fmt, ...) {
  char what[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintk(what, sizeof what, fmt, ap);
  va_end(ap);
  checks++;
  if (ok) {
    printk("ok %u - %s\n", checks, what);
  } else {
    failures++;
    printk("not ok %u - %s (%s:%d)\n", checks, what, file, line);
  }
}

void pv_check_eq(unsigned long got, unsigned long want, const char *file, int line, const char *what) {
  if (got == want) pv_check(1, file, line, "%s == 0x%x", what, (unsigned)want);
  else pv_check(0, file, line, "%s: got 0x%x, want 0x%x", what, (unsigned)got, (unsigned)want);
}

void pv_start(start_info_t *si) __attribute__((noreturn));
void pv_start(start_info_t *si) {
  start_info = si;
  /* shared_info is given as a machine address (start_info.shared_info): map it over our page */
  long rc = HYPERVISOR_update_va_mapping((unsigned long)shared_info_page,
                                         si->shared_info | PTE_P | PTE_RW | PTE_A | PTE_D, UVMF_INVLPG);
  if (rc != 0) {
    printk("FAIL: cannot map shared_info (update_va_mapping: %d)\n", (int)rc);
    pv_shutdown(SHUTDOWN_crash);
  }
  shared_info = (volatile shared_info_t *)shared_info_page;
  printk("xenolith PV guest (%s layout)\n", PV_LAYOUT);
  main();
  if (failures == 0 && checks > 0) {
    printk("PASS: %u checks\n", checks);
    pv_shutdown(SHUTDOWN_poweroff);
  }
  printk("FAIL: %u of %u checks failed\n", failures, checks);
  pv_shutdown(SHUTDOWN_crash);
}
