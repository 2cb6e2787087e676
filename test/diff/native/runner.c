// The native side of the differential test: a freestanding 32-bit Linux program (no libc; raw
// `int $0x80` system calls) that runs one x86 instruction per case on the host CPU at CPL 3 and
// reports the state after it.
//
// stdin: a stream of cases (struct kase, 44 little-endian u32 each; see test/diff/protocol.ts).
// stdout: a header (struct header), then one result per case (struct result, then the changed
// memory as runs: u32 address, u32 length, the bytes padded to 4).
//
// How a case runs: its pages are mapped at fixed addresses (anything else in the test regions is
// unmapped, so touching it faults with #PF), filled from a pool of pseudo-random pages (or int3
// bytes for code pages), poked, and the instruction is copied to its address in a code page whose
// other bytes are all int3 (0xCC). The registers and EFLAGS are loaded and the instruction runs.
// Whatever happens ends in a signal: the int3 after the instruction (or at a branch target), a
// fault raised by the instruction, or a fetch fault where a branch landed. The signal handler
// stores the interrupted context (registers, EFLAGS, EIP, trap number, error code, CR2) and
// resumes the runner. Telling these apart is the host side's job (test/diff/native.ts).
//
// Build (test/diff/native.ts): gcc -m32 -ffreestanding -nostdlib -static -O2 -fno-pic
//        -fno-stack-protector -fno-builtin -fno-tree-loop-distribute-patterns -Wl,-z,noexecstack (so data pages are really non-executable)

typedef unsigned int u32;
typedef unsigned char u8;

#define MAXPAGES 8
#define MAXPOKES 4
#define PAGE 4096u

struct kase {
  u32 eip;
  u8 bytes[16];          // bytes[0] = length, then the instruction
  u32 regs[8];           // EAX ECX EDX EBX ESP EBP ESI EDI
  u32 eflags;
  u32 npages;
  u32 pages[MAXPAGES][2];  // address | 1 writable | 2 executable, fill (pool index or ~0 = int3)
  u32 npokes;
  u32 pokes[MAXPOKES][3];  // address, value, size in bytes
};

struct result {
  u32 signo, trapno, err, eip, cr2;
  u32 regs[8];
  u32 eflags;
  u32 nruns;
};

struct header { u32 magic, cs, ss, ds, es, fs, gs, ok; };

// ---- system calls (i386: eax = number, ebx ecx edx esi edi ebp) ----
static inline int sys3(int n, u32 a, u32 b, u32 c) {
  int r;
  __asm__ volatile("int $0x80" : "=a"(r) : "0"(n), "b"(a), "c"(b), "d"(c) : "memory");
  return r;
}
static inline int sys6(int n, u32 a, u32 b, u32 c, u32 d, u32 e, u32 f) {
  // ebp carries the sixth argument: load it (and the number) through eax, since an "m" operand
  // may be addressed relative to esp, which the push moves
  u32 nf[2] = { (u32)n, f };
  int r;
  __asm__ volatile("push %%ebp\n\tmov 4(%%eax), %%ebp\n\tmov (%%eax), %%eax\n\tint $0x80\n\tpop %%ebp"
                   : "=a"(r) : "0"(nf), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e) : "memory");
  return r;
}
#define SYS_exit 1
#define SYS_read 3
#define SYS_write 4
#define SYS_munmap 91
#define SYS_mprotect 125
#define SYS_rt_sigreturn 173
#define SYS_rt_sigaction 174
#define SYS_sigaltstack 186
#define SYS_mmap2 192

#define PROT_NONE 0
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define MAP_PRIVATE 2
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20

void *memcpy(void *d, const void *s, u32 n) { u8 *a = d; const u8 *b = s; while (n--) *a++ = *b++; return d; }
void *memset(void *d, int c, u32 n) { u8 *a = d; while (n--) *a++ = (u8)c; return d; }

static void die(const char *msg) {
  u32 n = 0; while (msg[n]) n++;
  sys3(SYS_write, 2, (u32)msg, n);
  sys3(SYS_exit, 2, 0, 0);
}

// ---- output buffer ----
static u8 out[1 << 20];
static u32 outLen;
static void flush(void) {
  u32 off = 0;
  while (off < outLen) {
    int w = sys3(SYS_write, 1, (u32)out + off, outLen - off);
    if (w <= 0) die("runner: write failed\n");
    off += (u32)w;
  }
  outLen = 0;
}
static void emit(const void *p, u32 n) {
  if (outLen + n > sizeof out) flush();
  if (n > sizeof out) die("runner: record too large\n");
  memcpy(out + outLen, p, n);
  outLen += n;
}

// ---- page contents: a pool of 256 pseudo-random pages (xorshift32), as test/diff/pool.ts ----
static u32 pool[256][PAGE / 4];
static void makePool(void) {
  for (u32 p = 0; p < 256; p++) {
    u32 x = 0x9E3779B9u ^ (p * 0x85EBCA6Bu);
    if (x == 0) x = 1;
    for (u32 i = 0; i < PAGE / 4; i++) {
      x ^= x << 13; x ^= x >> 17; x ^= x << 5;
      pool[p][i] = x;
    }
  }
}

// ---- entering and leaving the test instruction ----
// Loaded by popal/popfl: EDI ESI EBP (ESP) EBX EDX ECX EAX, then EFLAGS.
u32 st_block[9];
u32 st_esp, st_eip, saved_esp;
u32 seg_cs, seg_ss, seg_ds, seg_es, seg_fs, seg_gs;
void run_case(void);
void recover(void);
__asm__(
  ".text\n"
  ".globl run_case\n"
  "run_case:\n"
  "  pushal\n"
  "  pushfl\n"
  "  mov %esp, saved_esp\n"
  "  mov $st_block, %esp\n"
  "  popal\n"
  "  popfl\n"
  "  mov st_esp, %esp\n"
  "  jmp *st_eip\n"
  ".globl recover\n"
  "recover:\n"
  "  popfl\n"
  "  popal\n"
  "  ret\n");

static struct result res;

// struct sigcontext (i386) inside the ucontext passed to an SA_SIGINFO handler
struct sigctx {
  u32 gs, fs, es, ds, edi, esi, ebp, esp, ebx, edx, ecx, eax, trapno, err, eip, cs, eflags,
      esp_at_signal, ss, fpstate, oldmask, cr2;
};
struct ucontext { u32 flags, link, ss_sp, ss_flags, ss_size; struct sigctx mc; };

static void handler(int sig, void *info, struct ucontext *uc) {
  (void)info;
  struct sigctx *c = &uc->mc;
  res.signo = (u32)sig;
  res.trapno = c->trapno;
  res.err = c->err;
  res.eip = c->eip;
  res.cr2 = c->cr2;
  res.regs[0] = c->eax; res.regs[1] = c->ecx; res.regs[2] = c->edx; res.regs[3] = c->ebx;
  res.regs[4] = c->esp; res.regs[5] = c->ebp; res.regs[6] = c->esi; res.regs[7] = c->edi;
  res.eflags = c->eflags;
  // resume the runner at `recover` with its own stack and segments
  c->eip = (u32)recover;
  c->esp = saved_esp;
  c->eflags = 0x202;
  c->cs = seg_cs; c->ss = seg_ss; c->ds = seg_ds; c->es = seg_es; c->fs = seg_fs; c->gs = seg_gs;
}

void restorer(void);
__asm__(".text\nrestorer:\n  mov $173, %eax\n  int $0x80\n");

struct ksigaction { void *handler; u32 flags; void *restorer; u32 mask[2]; };
#define SA_SIGINFO 4
#define SA_ONSTACK 0x08000000
#define SA_RESTORER 0x04000000

static u8 altstack[65536];

static void setup(void) {
  struct { u32 sp, flags, size; } ss = { (u32)altstack, 0, sizeof altstack };
  if (sys3(SYS_sigaltstack, (u32)&ss, 0, 0) != 0) die("runner: sigaltstack failed\n");
  static const int sigs[] = { 4 /*ILL*/, 5 /*TRAP*/, 7 /*BUS*/, 8 /*FPE*/, 11 /*SEGV*/ };
  for (u32 i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
    struct ksigaction sa = { (void *)handler, SA_SIGINFO | SA_ONSTACK | SA_RESTORER, (void *)restorer, { 0, 0 } };
    if (sys6(SYS_rt_sigaction, (u32)sigs[i], (u32)&sa, 0, 8, 0, 0) != 0)
      die("runner: rt_sigaction failed\n");
  }
  __asm__ volatile("mov %%cs, %0" : "=r"(seg_cs));
  __asm__ volatile("mov %%ss, %0" : "=r"(seg_ss));
  __asm__ volatile("mov %%ds, %0" : "=r"(seg_ds));
  __asm__ volatile("mov %%es, %0" : "=r"(seg_es));
  __asm__ volatile("mov %%fs, %0" : "=r"(seg_fs));
  __asm__ volatile("mov %%gs, %0" : "=r"(seg_gs));
}

// ---- the test regions: every page is mapped once, from a memfd, at its fixed address (with the
// case's protection, PROT_NONE when the case does not map it: the CPU then sees a not-present
// page, as for an unmapped one) and a second time at an alias the runner fills and reads ----
#define SYS_memfd_create 356
#define SYS_ftruncate 93
#define MAP_SHARED 1
// must match test/diff/protocol.ts REGION
static const u32 regionBase[3] = { 0x1000u, 0x20000000u, 0x30000000u };
static const u32 regionPages[3] = { 15, 2, 16 };
#define NREG_PAGES 33
static u32 regAddr[NREG_PAGES];
static u32 regProt[NREG_PAGES];
static u8 *alias;

static void setupRegions(void) {
  int fd = sys3(SYS_memfd_create, (u32)"xenolith-diff", 0, 0);
  if (fd < 0) die("runner: memfd_create failed\n");
  if (sys3(SYS_ftruncate, (u32)fd, NREG_PAGES * PAGE, 0) != 0) die("runner: ftruncate failed\n");
  int a = sys6(SYS_mmap2, 0, NREG_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, (u32)fd, 0);
  if ((u32)a > 0xFFFFF000u) die("runner: mmap of the alias failed\n");
  alias = (u8 *)a;
  u32 k = 0;
  for (u32 r = 0; r < 3; r++)
    for (u32 i = 0; i < regionPages[r]; i++, k++) {
      regAddr[k] = regionBase[r] + i * PAGE;
      int m = sys6(SYS_mmap2, regAddr[k], PAGE, PROT_NONE, MAP_SHARED | MAP_FIXED, (u32)fd, k);
      if ((u32)m != regAddr[k]) {
        // the host refuses this address (vm.mmap_min_addr): say so in the header
        regAddr[k] = 0;
      }
      regProt[k] = PROT_NONE;
    }
}

static int pageIndex(u32 addr) {
  for (u32 k = 0; k < NREG_PAGES; k++) if (regAddr[k] == addr) return (int)k;
  return -1;
}

static u8 shadow[MAXPAGES][PAGE];
static int casePage[MAXPAGES];

static void copyWords(void *d, const void *s, u32 n) {
  __asm__ volatile("cld\n\trep movsl" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
}

static void poke(u32 addr, u32 value, u32 size, const struct kase *k) {
  // only into the case's pages, through the alias
  for (u32 i = 0; i < size; i++) {
    u32 a = addr + i;
    for (u32 p = 0; p < k->npages; p++)
      if ((k->pages[p][0] & ~(PAGE - 1)) == (a & ~(PAGE - 1)) && casePage[p] >= 0) {
        alias[(u32)casePage[p] * PAGE + (a & (PAGE - 1))] = (u8)(value >> (8 * i));
        break;
      }
  }
}

static void runOne(const struct kase *k) {
  u32 np = k->npages > MAXPAGES ? MAXPAGES : k->npages;
  u32 want[NREG_PAGES];
  for (u32 i = 0; i < NREG_PAGES; i++) want[i] = PROT_NONE;
  for (u32 p = 0; p < np; p++) {
    u32 addr = k->pages[p][0] & ~(PAGE - 1);
    int idx = pageIndex(addr);
    casePage[p] = idx;
    if (idx < 0 || regAddr[idx] == 0) {
      memset(&res, 0, sizeof res);
      res.signo = 0xFFFFFFFF; res.cr2 = addr;
      emit(&res, sizeof res);
      return;
    }
    u32 f = k->pages[p][0];
    want[idx] = PROT_READ | ((f & 1) ? PROT_WRITE : 0) | ((f & 2) ? PROT_EXEC : 0);
    u32 fill = k->pages[p][1];
    if (fill == 0xFFFFFFFFu) memset(alias + (u32)idx * PAGE, 0xCC, PAGE);
    else copyWords(alias + (u32)idx * PAGE, pool[fill & 255], PAGE / 4);
  }
  for (u32 i = 0; i < k->npokes && i < MAXPOKES; i++) poke(k->pokes[i][0], k->pokes[i][1], k->pokes[i][2], k);
  u32 len = k->bytes[0];
  for (u32 i = 0; i < len && i < 15; i++) poke(k->eip + i, k->bytes[1 + i], 1, k);
  for (u32 p = 0; p < np; p++) copyWords(shadow[p], alias + (u32)casePage[p] * PAGE, PAGE / 4);
  for (u32 i = 0; i < NREG_PAGES; i++) {
    if (want[i] == regProt[i] || regAddr[i] == 0) continue;
    if (sys3(SYS_mprotect, regAddr[i], PAGE, want[i]) != 0) die("runner: mprotect failed\n");
    regProt[i] = want[i];
  }
  // Make sure every mapped page has a present page-table entry now (a page never touched has
  // none, and the CPU would report a write to a read-only page as not-present)
  for (u32 p = 0; p < np; p++) (void)*(volatile u8 *)regAddr[casePage[p]];
  // EDI ESI EBP (ESP) EBX EDX ECX EAX for popal
  st_block[0] = k->regs[7]; st_block[1] = k->regs[6]; st_block[2] = k->regs[5]; st_block[3] = 0;
  st_block[4] = k->regs[3]; st_block[5] = k->regs[2]; st_block[6] = k->regs[1]; st_block[7] = k->regs[0];
  st_block[8] = k->eflags;
  st_esp = k->regs[4];
  st_eip = k->eip;
  memset(&res, 0, sizeof res);
  run_case();
  // changed bytes of the case's pages, as runs
  static u8 runs[MAXPAGES * (PAGE * 2 + 16)];
  u32 rl = 0, nruns = 0;
  for (u32 p = 0; p < np; p++) {
    const u32 *nowW = (const u32 *)(alias + (u32)casePage[p] * PAGE);
    const u32 *oldW = (const u32 *)shadow[p];
    const u8 *now = (const u8 *)nowW;
    u32 i = 0;
    while (i < PAGE) {
      if ((i & 3) == 0 && nowW[i >> 2] == oldW[i >> 2]) { i += 4; continue; }
      if (now[i] == shadow[p][i]) { i++; continue; }
      u32 j = i;
      while (j < PAGE && now[j] != shadow[p][j]) j++;
      u32 hdr[2] = { regAddr[casePage[p]] + i, j - i };
      memcpy(runs + rl, hdr, 8); rl += 8;
      memcpy(runs + rl, now + i, j - i); rl += j - i;
      while (rl & 3) runs[rl++] = 0;
      nruns++;
      i = j;
    }
  }
  res.nruns = nruns;
  emit(&res, sizeof res);
  emit(runs, rl);
}

static struct kase inbuf[512];

void _start_c(void) {
  makePool();
  setup();
  setupRegions();
  struct header h = { 0x46464458u, seg_cs, seg_ss, seg_ds, seg_es, seg_fs, seg_gs, 1 };
  emit(&h, sizeof h);
  flush();
  u32 have = 0;  // bytes in inbuf
  for (;;) {
    int r = sys3(SYS_read, 0, (u32)inbuf + have, sizeof inbuf - have);
    if (r < 0) die("runner: read failed\n");
    if (r == 0) break;
    have += (u32)r;
    u32 n = have / sizeof(struct kase);
    for (u32 i = 0; i < n; i++) runOne(&inbuf[i]);
    u32 rest = have - n * sizeof(struct kase);
    memcpy(inbuf, (u8 *)inbuf + n * sizeof(struct kase), rest);
    have = rest;
    flush();
  }
  flush();
  sys3(SYS_exit, 0, 0, 0);
}

__asm__(".text\n.globl _start\n_start:\n  and $-16, %esp\n  call _start_c\n  hlt\n");
