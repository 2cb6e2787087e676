/* entry.S: multiboot v1 header, _start, the 256 IDT stubs and the ring 3 round trip.
 * Selectors: see include/bare.h. */
#define SEL_KDATA 0x10
#define SEL_UCODE 0x1B
#define SEL_UDATA 0x23

  .section .multiboot, "a"
  .balign 4
  .long 0x1BADB002            /* magic */
  .long 0x00000003            /* flags: page-align modules, memory info */
  .long -(0x1BADB002 + 3)     /* checksum */

  .text
  .globl _start
_start:
  cli
  cld
  mov %eax, %esi              /* multiboot magic (0x2BADB002) */
  mov %ebx, %ebp              /* multiboot info */
  mov $__bss_start, %edi      /* zero .bss (the loader should, but be sure) */
  mov $__bss_end, %ecx
  sub %edi, %ecx
  xor %eax, %eax
  rep stosb
  mov %esi, mb_magic
  mov %ebp, mb_info
  mov $boot_stack_top, %esp
  call lib_init
  call test_main
  call finish

/* Stub v at isr_stubs + 16*v: push a zero error code unless the CPU pushes one, push v. */
  .balign 16
  .globl isr_stubs
isr_stubs:
  .set vec, 0
  .rept 256
  .balign 16
  .if vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30
  pushl $vec
  .else
  pushl $0
  pushl $vec
  .endif
  jmp isr_common
  .set vec, vec + 1
  .endr

/* Record the exception in `fault`; resume at fault_resume if armed (one shot); vectors >= 32
 * (software interrupts) return normally; anything else is unexpected and ends the guest.
 * Stack: 0 pusha(32) 32 es 36 ds 40 vector 44 error 48 eip 52 cs 56 eflags [60 esp 64 ss] */
isr_common:
  push %ds
  push %es
  pusha
  mov $SEL_KDATA, %ax
  mov %ax, %ds
  mov %ax, %es
  mov 40(%esp), %eax;  mov %eax, fault+0
  mov 44(%esp), %eax;  mov %eax, fault+4
  mov 48(%esp), %eax;  mov %eax, fault+8
  mov 52(%esp), %eax;  mov %eax, fault+12
  mov 56(%esp), %eax;  mov %eax, fault+16
  xor %eax, %eax
  xor %edx, %edx
  testb $3, 52(%esp)          /* privilege change: the CPU also pushed ESP and SS */
  jz 1f
  mov 60(%esp), %eax
  mov 64(%esp), %edx
1:mov %eax, fault+20
  mov %edx, fault+24
  mov %cr2, %eax;      mov %eax, fault+28
  incl fault+32
  lea 48(%esp), %eax;  mov %eax, fault+36
  mov fault_resume, %eax
  test %eax, %eax
  jz 2f
  movl $0, fault_resume
  mov %eax, 48(%esp)
  jmp 3f
2:cmpl $32, 40(%esp)
  jb 4f
3:popa
  pop %es
  pop %ds
  add $8, %esp
  iret
4:push %esp
  call unexpected_fault       /* does not return */

/* u32 user_run(u32 (*fn)(void), void *stack_top) */
  .globl user_run
user_run:
  push %ebp
  push %ebx
  push %esi
  push %edi
  mov %esp, kernel_saved_esp
  mov 20(%esp), %ecx
  mov 24(%esp), %edx
  sub $4, %edx
  movl $user_return, (%edx)   /* fn returns into INT 0x80 */
  pushl $SEL_UDATA            /* SS */
  pushl %edx                  /* ESP */
  pushl user_eflags           /* EFLAGS */
  pushl $SEL_UCODE            /* CS */
  pushl %ecx                  /* EIP */
  mov $SEL_UDATA, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %fs
  mov %ax, %gs
  iret
  .globl user_return
user_return:
  int $0x80

/* INT 0x80 (DPL 3 gate): note the frame, drop ring 3, return EAX from user_run. */
  .globl isr_user
isr_user:
  mov $SEL_KDATA, %cx
  mov %cx, %ds
  mov %cx, %es
  mov %cx, %fs
  mov %cx, %gs
  mov %esp, syscall_frame_at
  mov 0(%esp), %ecx;  mov %ecx, syscall_frame+0
  mov 4(%esp), %ecx;  mov %ecx, syscall_frame+4
  mov 8(%esp), %ecx;  mov %ecx, syscall_frame+8
  mov 12(%esp), %ecx; mov %ecx, syscall_frame+12
  mov 16(%esp), %ecx; mov %ecx, syscall_frame+16
  mov kernel_saved_esp, %esp
  pop %edi
  pop %esi
  pop %ebx
  pop %ebp
  ret

  .bss
  .balign 16
  .space 16384
boot_stack_top:
  .globl ring0_stack_top
  .space 8192
ring0_stack_top:
  .globl user_stack_top
  .space 8192
user_stack_top:
kernel_saved_esp:
  .long 0
