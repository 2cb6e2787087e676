/*
 * The bare-machine benchmark loops (guests/bench/bare.c picks one). Each is
 * `u32 w_<name>(u32 n)`: n iterations (n >= 1), returns a checksum the host compares across
 * engines. Instruction workloads state their instructions per iteration; event workloads cause
 * one event per iteration.
 */
#define SEL_KDATA 0x10

  .text
/* alu: 5 instructions per iteration, registers only */
  .globl w_alu
w_alu:
  push %ebx
  mov 8(%esp), %ecx
  xor %eax, %eax
  xor %ebx, %ebx
1:add %ecx, %eax
  xor %eax, %ebx
  rol $3, %ebx
  dec %ecx
  jnz 1b
  mov %ebx, %eax
  pop %ebx
  ret

/* mem: 6 instructions per iteration, a load and a store over a 64 KiB array (paging on) */
  .globl w_mem
w_mem:
  push %esi
  mov 8(%esp), %ecx
  mov $bench_array, %esi
1:mov %ecx, %edx
  and $0x3fff, %edx
  mov (%esi,%edx,4), %eax
  add %ecx, %eax
  mov %eax, (%esi,%edx,4)
  loop 1b
  pop %esi
  ret

/* call: 8 instructions per iteration (push, call, load, add, ret, add, dec, jnz) */
  .globl w_call
w_call:
  push %ebx
  mov 8(%esp), %ecx
  xor %ebx, %ebx
1:push %ecx
  call 2f
  add $4, %esp
  dec %ecx
  jnz 1b
  mov %ebx, %eax
  pop %ebx
  ret
2:mov 4(%esp), %eax
  add %eax, %ebx
  ret

/* syscall: ring 3 runs user_syscalls (through user_run); each INT 0x81 goes through a DPL-3
 * interrupt gate to ring 0 (TSS stack switch) and IRETs back. Event: one round trip. */
  .globl user_syscalls, sys_entry
user_syscalls:
  mov bench_n, %ecx
  xor %eax, %eax
1:int $0x81
  dec %ecx
  jnz 1b
  ret                         /* EAX = calls counted by the gate: user_run's result */
sys_entry:
  inc %eax
  iret

/* tlb: INVLPG of a page, a CR3 reload (flushes the TLB), a load through the page (a walk).
 * Event: one iteration. Paging on. */
  .globl w_tlb
w_tlb:
  push %ebx
  push %esi
  mov 12(%esp), %ecx
  mov $bench_array, %esi
  xor %ebx, %ebx
1:invlpg (%esi)
  mov %cr3, %eax
  mov %eax, %cr3
  add (%esi), %ebx
  inc %ebx
  dec %ecx
  jnz 1b
  mov %ebx, %eax
  pop %esi
  pop %ebx
  ret

/* pf: the PTE of pf_page loses P (+ INVLPG); the load faults; the #PF handler reads CR2, sets
 * P again and returns; the load retries. Event: one fault round trip. Paging on. */
  .globl w_pf, pf_entry
w_pf:
  push %ebx
  push %esi
  push %edi
  mov 16(%esp), %ecx
  mov $pf_page, %esi
  mov pf_pte, %edi
  xor %ebx, %ebx
1:andl $~1, (%edi)
  invlpg (%esi)
  add (%esi), %ebx
  dec %ecx
  jnz 1b
  mov pf_count, %eax
  pop %edi
  pop %esi
  pop %ebx
  ret
pf_entry:
  push %eax
  mov %cr2, %eax
  cmp $pf_page, %eax
  jne 2f
  mov pf_pte, %eax
  orl $1, (%eax)
  incl pf_count
  pop %eax
  add $4, %esp                /* error code */
  iret
2:hlt                         /* a fault elsewhere: stop (the host sees HLT, not DONE) */
  jmp 2b

/* smc: each iteration stores into the immediate of the next instruction, which must execute
 * with the new value (SDM Vol. 3, 11.6). Event: one iteration. */
  .globl w_smc
w_smc:
  push %ebx
  mov 8(%esp), %ecx
  xor %ebx, %ebx
1:mov %ecx, 3f+1
3:mov $0, %eax
  add %eax, %ebx
  dec %ecx
  jnz 1b
  mov %ebx, %eax
  pop %ebx
  ret

  .data
  .globl pf_pte, pf_count
pf_pte: .long 0
pf_count: .long 0

  .bss
  .balign 4096
  .globl bench_array, pf_page
bench_array: .space 65536
pf_page: .space 4096
