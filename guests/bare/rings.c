/* rings: privilege changes. Ring 0 -> 3 by IRET; 3 -> 0 through an interrupt gate, which
 * switches to the ring 0 stack named by TSS.SS0:ESP0 and pushes SS ESP EFLAGS CS EIP (SDM
 * 6.12.1); IRET back to ring 3; a call gate with a 2-dword parameter copy and LRET back. */
#include "bare.h"
GUEST("rings");

#define SEL_GATE SEL_SPARE0
extern void gate_target(void), gate_return(void), user_return(void);
extern u32 user_gate_call(void);
extern volatile u32 gate_frame[6], gate_frame_at, gate_cs, gate_ss, gate_user_esp, gate_back_cs;

static u32 cs_now(void) { u32 v; asm volatile("mov %%cs, %0" : "=r"(v)); return v & 0xFFFF; }
static u32 ss_now(void) { u32 v; asm volatile("mov %%ss, %0" : "=r"(v)); return v & 0xFFFF; }

static u32 user_cs(void) { return cs_now(); }

static volatile u32 after_iret_cs, after_iret_ss, user_esp_before, user_esp_after;
static u32 user_interrupt(void) {
  asm volatile("mov %%esp, %0\n\tint $0x81\n\tmov %%esp, %1" : "=m"(user_esp_before), "=m"(user_esp_after));
  after_iret_cs = cs_now();
  after_iret_ss = ss_now();
  return 0;
}

static u32 user_dpl0_gate(void) {
  asm volatile(ARM "int $0x82" LAND ::: "memory");
  return 0;
}

static u32 user_privileged(void) {
  asm volatile(ARM "mov %%cr0, %%eax" LAND ::: "eax", "memory");
  return 0;
}

void test_main(void) {
  check_eq("ring 0: CS RPL is 0", SEL_KCODE, cs_now());

  /* IRET to ring 3, INT 0x80 back. */
  check_eq("IRET to ring 3: CS is the ring 3 selector", SEL_UCODE, user_run(user_cs, user_stack_top));
  check_eq("INT 0x80 frame: EIP after the INT", (u32)user_return + 2, syscall_frame[0]);
  check_eq("INT 0x80 frame: CS", SEL_UCODE, syscall_frame[1] & 0xFFFF);
  check_eq("INT 0x80 frame: ESP is the ring 3 stack", (u32)user_stack_top, syscall_frame[3]);
  check_eq("INT 0x80 frame: SS", SEL_UDATA, syscall_frame[4] & 0xFFFF);
  check_eq("INT 0x80 frame sits at the top of TSS.ESP0", (u32)ring0_stack_top - 20, syscall_frame_at);

  /* INT 0x81 (DPL 3 gate) from ring 3 and IRET back to ring 3. */
  idt_set(0x81, ISR_STUB(0x81), SEL_KCODE, 3, 1);
  fault_reset();
  user_run(user_interrupt, user_stack_top);
  check_eq("INT 0x81 reached ring 0 once", 1, fault.count);
  check_eq("INT 0x81 frame: CS", SEL_UCODE, fault.cs & 0xFFFF);
  check_eq("INT 0x81 frame: SS", SEL_UDATA, fault.ss & 0xFFFF);
  check_eq("INT 0x81 frame: ESP", user_esp_before, fault.esp);
  check_eq("INT 0x81 frame on the TSS.ESP0 stack", (u32)ring0_stack_top - 20, fault.frame);
  check_eq("IRET back: CS is ring 3", SEL_UCODE, after_iret_cs);
  check_eq("IRET back: SS is ring 3", SEL_UDATA, after_iret_ss);
  check_eq("IRET back: ESP restored", user_esp_before, user_esp_after);

  /* A gate's DPL is checked for INT n: DPL 0 from CPL 3 is #GP(vector*8 + IDT). */
  fault_reset();
  user_run(user_dpl0_gate, user_stack_top);
  expect_fault("INT 0x82 through a DPL 0 gate at CPL 3: #GP(0x412)", 13, 0x82 * 8 + 2);
  fault_reset();
  user_run(user_privileged, user_stack_top);
  expect_fault("MOV from CR0 at CPL 3: #GP(0)", 13, 0);

  /* Call gate: 2 dwords copied from the ring 3 stack to the ring 0 stack. */
  gdt_set_call_gate(SEL_GATE, SEL_KCODE, gate_target, 2);
  u32 delta = user_run(user_gate_call, user_stack_top);
  u32 esp3 = gate_user_esp - 8; /* after the two pushes */
  check_eq("call gate: target runs in ring 0 code", SEL_KCODE, gate_cs & 0xFFFF);
  check_eq("call gate: SS is TSS.SS0", SEL_KDATA, gate_ss & 0xFFFF);
  check_eq("call gate: stack is TSS.ESP0", (u32)ring0_stack_top - 24, gate_frame_at);
  check_eq("call gate frame: return EIP", (u32)gate_return, gate_frame[0]);
  check_eq("call gate frame: return CS", SEL_UCODE, gate_frame[1] & 0xFFFF);
  check_eq("call gate frame: parameter 1 (lowest)", 0xBBBB2222, gate_frame[2]);
  check_eq("call gate frame: parameter 2", 0xAAAA1111, gate_frame[3]);
  check_eq("call gate frame: caller ESP", esp3, gate_frame[4]);
  check_eq("call gate frame: caller SS", SEL_UDATA, gate_frame[5] & 0xFFFF);
  check_eq("LRET $8: back in ring 3", SEL_UCODE, gate_back_cs & 0xFFFF);
  check_eq("LRET $8: parameters released from the ring 3 stack", 0, delta);
}
