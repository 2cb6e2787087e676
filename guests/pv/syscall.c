/*
 * syscall: a ring-3 program making fast system calls through int $0x80. The kernel maps the
 * program's pages with U, registers vector 0x80 with DPL 3 in its trap table, sets its ring-1
 * stack with stack_switch, and drops to ring 3 by HYPERVISOR_iret. 1000 add calls are checked by
 * the program itself; the kernel checks what each call's frame says about ring 3 and its own
 * stack. Test/guests/pv.test.ts checks the hypervisor saw none of these calls.
 */
#include <pv.h>

#define USER_CALLS 1000

struct syscall_frame {
  unsigned long es, ds;                                    /* ring 3's */
  unsigned long edi, esi, ebp, esp_, ebx, edx, ecx, eax;  /* pushal */
  unsigned long eip, cs, eflags, esp, ss;                  /* int $0x80 from ring 3 */
};

extern char __user_start[], __user_end[], user_stack[], user_stack_top[];
void syscall_entry(void);
int enter_user(void);

static char kernel_stack[2 * 4096] __attribute__((aligned(16)));
#define KSTACK_TOP ((unsigned long)kernel_stack + sizeof kernel_stack)

static unsigned adds, reports, bad_frames;
static unsigned long user_cs, user_ss, user_esp, exit_cs, exit_ss;

static int frame_ok(const struct syscall_frame *f) {
  /* the CPU pushed SS:ESP of ring 3 on the stack_switch stack */
  return f->ds == 0 && f->es == 0   /* nulled by the iret to ring 3 */
         && (unsigned long)f >= (unsigned long)kernel_stack && (unsigned long)f < KSTACK_TOP
         && (unsigned long)(f + 1) == KSTACK_TOP
         && (f->cs & 0xffff) == FLAT_USER_CS && (f->ss & 0xffff) == FLAT_USER_SS
         && f->esp > (unsigned long)user_stack && f->esp <= (unsigned long)user_stack_top
         && f->eip >= (unsigned long)__user_start && f->eip < (unsigned long)__user_end;
}

void syscall_handler(struct syscall_frame *f) {
  if (!frame_ok(f)) bad_frames++;
  switch (f->eax) {
    case 1: adds++; f->eax = f->ebx + f->ecx; break;
    case 2: reports++; user_cs = f->ebx; user_esp = f->ecx; user_ss = f->edx; f->eax = 0; break;
    default: f->eax = -38 /* ENOSYS */; break;
  }
}

void syscall_exit_frame(struct syscall_frame *f) {
  if (!frame_ok(f)) bad_frames++;
  exit_cs = f->cs & 0xffff;
  exit_ss = f->ss & 0xffff;
}

/* frame of gp_entry / soft83_entry: the pushal below the saved EAX slot, then the bounce frame */
struct bounce_frame {
  unsigned long es, ds;
  unsigned long edi, esi, ebp, esp_, ebx, edx, ecx, eax_slot;
  unsigned long eax, error_code;
  unsigned long eip, cs, eflags, esp, ss;
};
void gp_entry(void), soft83_entry(void);
static unsigned long gp_codes[4];
static unsigned gp_count, soft83_count, soft83_from_user;

void gp_handler(struct bounce_frame *f) {
  if (gp_count < 4) gp_codes[gp_count] = f->error_code;
  gp_count++;
  f->eip += 2;                    /* past the int $n */
}

void soft83_handler(struct bounce_frame *f) {
  soft83_count++;
  soft83_from_user = (f->cs & 0xffff) == FLAT_USER_CS && (f->ss & 0xffff) == FLAT_USER_SS;
}

static const struct trap_info traps[] = {
  { 0x80, 3, FLAT_KERNEL_CS, (unsigned long)syscall_entry },   /* DPL 3: int $0x80 from ring 3 */
  { 13, 0, FLAT_KERNEL_CS, (unsigned long)gp_entry },
  { 0x81, 1, FLAT_KERNEL_CS, (unsigned long)soft83_entry },    /* DPL 1: not from ring 3 */
  { 0x83, 3, FLAT_KERNEL_CS, (unsigned long)soft83_entry },
  { 0, 0, 0, 0 },
};

int main(void) {
  /* the user pages: mapped again with U (their machine frames from the P2M list) */
  unsigned bad_maps = 0;
  for (char *va = __user_start; va < __user_end; va += 4096) {
    uint64_t pte = (uint64_t)pv_virt_to_mfn(va) << 12 | PTE_P | PTE_RW | PTE_U | PTE_A | PTE_D;
    if (HYPERVISOR_update_va_mapping((unsigned long)va, pte, UVMF_INVLPG) != 0) bad_maps++;
  }
  CHECK(bad_maps == 0 && (unsigned long)__user_end > (unsigned long)__user_start, "%u user pages mapped with U",
        (unsigned)((__user_end - __user_start) / 4096));
  CHECK_EQ(HYPERVISOR_set_trap_table(traps), 0, "set_trap_table with vector 0x80 at DPL 3");
  CHECK_EQ(HYPERVISOR_stack_switch(FLAT_KERNEL_SS, KSTACK_TOP), 0, "stack_switch to the kernel stack");

  int code = enter_user();

  CHECK_EQ(code, 0, "the program's wrong add results");
  CHECK_EQ(adds, USER_CALLS, "add system calls handled");
  CHECK_EQ(reports, 1, "report system calls handled");
  CHECK_EQ(bad_frames, 0, "frames not on the stack_switch stack or not from ring 3");
  CHECK_EQ(user_cs, FLAT_USER_CS, "%cs in ring 3");
  CHECK_EQ(user_ss, FLAT_USER_SS, "%ss in ring 3");
  CHECK(user_esp > (unsigned long)user_stack && user_esp <= (unsigned long)user_stack_top, "ring 3 ran on its own stack");
  CHECK(exit_cs == FLAT_USER_CS && exit_ss == FLAT_USER_SS, "the exit call came from ring 3 too");
  CHECK(gp_count == 2 && gp_codes[0] == (0x81 << 3 | 2) && gp_codes[1] == (0x82 << 3 | 2),
        "ring 3 int $0x81 (DPL 1) and int $0x82: #GP(0x%x), #GP(0x%x) (%u)", (unsigned)gp_codes[0],
        (unsigned)gp_codes[1], gp_count);
  CHECK(soft83_count == 1 && soft83_from_user, "ring 3 int $0x83 (DPL 3) delivered from ring 3 (%u)", soft83_count);
  printk("system calls made: %u\n", adds + reports + 1);
  return 0;
}
