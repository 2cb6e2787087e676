import { describe, it, expect } from "vitest";
import { buildHypercallPage } from "../../src/hv/hypercall-page.ts";

describe("hypercall page", () => {
  const page = buildHypercallPage();
  it("slot i is mov $i,%eax; int $0x82; ret, the rest int3", () => {
    expect([...page.subarray(17 * 32, 17 * 32 + 9)]).toEqual([0xb8, 17, 0, 0, 0, 0xcd, 0x82, 0xc3, 0xcc]);
    expect([...page.subarray(0, 8)]).toEqual([0xb8, 0, 0, 0, 0, 0xcd, 0x82, 0xc3]);
    expect(page[127 * 32 + 31]).toBe(0xcc);
  });
  it("the iret slot pushes EAX and never returns", () => {
    expect([...page.subarray(23 * 32, 23 * 32 + 9)]).toEqual([0x50, 0xb8, 23, 0, 0, 0, 0xcd, 0x82, 0xcc]);
  });
});
