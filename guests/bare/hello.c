/* hello: the SDK itself: multiboot entry, console, a recovered #UD, a round trip to ring 3. */
#include "bare.h"
GUEST("hello");

static u32 user_fn(void) { return 0x1234; }

void test_main(void) {
  fault_reset();
  asm volatile(ARM "ud2" LAND ::: "memory");
  expect_fault("ud2 raises #UD and resumes", 6, 0);
  check_eq("user_run returns ring 3 EAX", 0x1234, user_run(user_fn, user_stack_top));
  check_eq("INT 0x80 frame CS is ring 3", SEL_UCODE, syscall_frame[1]);
}
