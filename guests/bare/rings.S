/* rings.S: the call gate's ring 0 target and the ring 3 code that calls through it. */
#define SEL_KDATA 0x10
  .text
/* Ring 0 target of the call gate (2 parameters). Records its stack: EIP CS P1 P2 ESP SS
 * (SDM 5.8.5: the caller's SS:ESP, the copied parameters, then CS:EIP), then LRET $8. */
  .globl gate_target
gate_target:
  mov %esp, gate_frame_at
  push %eax
  mov %cs, %eax;       mov %eax, gate_cs
  mov %ss, %eax;       mov %eax, gate_ss
  mov 4(%esp), %eax;   mov %eax, gate_frame+0
  mov 8(%esp), %eax;   mov %eax, gate_frame+4
  mov 12(%esp), %eax;  mov %eax, gate_frame+8
  mov 16(%esp), %eax;  mov %eax, gate_frame+12
  mov 20(%esp), %eax;  mov %eax, gate_frame+16
  mov 24(%esp), %eax;  mov %eax, gate_frame+20
  pop %eax
  lret $8                     /* pops the parameters from both stacks */

/* u32 user_gate_call(void), run at ring 3: push two parameters, LCALL the gate, return ESP
 * after the return minus ESP before the pushes (0: LRET $8 released them). */
  .globl user_gate_call
user_gate_call:
  push %ebx
  mov %esp, %ebx
  mov %esp, gate_user_esp
  pushl $0xAAAA1111
  pushl $0xBBBB2222
  lcall $0x33, $0             /* SEL_SPARE0 | RPL 3: the call gate */
  .globl gate_return
gate_return:
  mov %cs, %eax
  mov %eax, gate_back_cs
  mov %esp, %eax
  sub %ebx, %eax
  pop %ebx
  ret

  .bss
  .globl gate_frame, gate_frame_at, gate_cs, gate_ss, gate_user_esp, gate_back_cs
gate_frame: .space 24
gate_frame_at: .long 0
gate_cs: .long 0
gate_ss: .long 0
gate_user_esp: .long 0
gate_back_cs: .long 0
