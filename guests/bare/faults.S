/* faults.S: the #TS handler of the faults guest. It is reached through a conforming ring 0 code
 * segment, so it runs at CPL 3 on the ring 3 stack: the ring 0 stack named by TSS.SS0 is the
 * thing that is broken (SDM 6.12.1.1: a conforming target causes no stack switch). It records
 * the fault, repairs TSS.SS0 and resumes at fault_resume. Stack: error, EIP, CS, EFLAGS. */
#define SEL_KDATA 0x10
  .text
  .globl ts_handler
ts_handler:
  popl fault+4                /* error code */
  movl $10, fault+0
  push %eax
  mov 4(%esp), %eax;  mov %eax, fault+8
  mov 8(%esp), %eax;  mov %eax, fault+12
  mov %cs, %eax;      mov %eax, ts_handler_cs
  incl fault+32
  movl $SEL_KDATA, tss+8      /* TSS.SS0 */
  mov fault_resume, %eax
  movl $0, fault_resume
  mov %eax, 4(%esp)
  pop %eax
  iret

  .data
  .globl ts_handler_cs
ts_handler_cs:
  .long 0
