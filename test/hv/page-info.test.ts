// page_info against Xen's rules (arch/x86/mm.c): types change only at type count 0 and are
// validated then; a failed validation leaves the frame untyped; pins hold a type and a general
// reference; frames are freed only unpinned with count 0; ownership is checked.
import { describe, it, expect } from "vitest";
import { PageInfo, PGT, type PageTableHooks, type PageType } from "../../src/hv/page-info.ts";
import { MachineFrames, OWNER_FREE } from "../../src/hv/frames.ts";
import { ERRNO } from "../../src/hv/abi.ts";
import type { Mfn } from "../../src/hv/addr.ts";

function setup(hooks?: Partial<PageTableHooks>) {
  const frames = new MachineFrames(64, 1);
  frames.setMax(1, 16);
  frames.setMax(2, 16);
  const log: string[] = [];
  const pi = new PageInfo(frames, {
    validate: hooks?.validate ?? ((f: Mfn, t: PageType) => { log.push(`validate ${f} ${t}`); return 0; }),
    devalidate: hooks?.devalidate ?? ((f: Mfn, t: PageType) => { log.push(`devalidate ${f} ${t}`); }),
  });
  const take = (domid: number) => { const f = frames.alloc(domid)!; pi.assign(f); return f; };
  return { frames, pi, log, take };
}

describe("page_info", () => {
  it("a new frame: owned, allocation reference, no type", () => {
    const { pi, take } = setup();
    const f = take(1);
    expect(pi.owner(f)).toBe(1);
    expect(pi.refCount(f)).toBe(1);
    expect(pi.typeOf(f)).toBe(PGT.none);
    expect(pi.typeCountOf(f)).toBe(0);
    expect(pi.isValidated(f)).toBe(false);
    expect(pi.isPinned(f)).toBe(false);
  });

  it("get_page only for the owner; put_page balances it", () => {
    const { pi, take } = setup();
    const f = take(1);
    expect(pi.getPage(f, 2)).toBe(false);
    expect(pi.getPage(f, 1)).toBe(true);
    expect(pi.refCount(f)).toBe(2);
    pi.putPage(f);
    expect(pi.refCount(f)).toBe(1);
  });

  it("validates a page table at its first type reference, and again after the last one went", () => {
    const { pi, log, take } = setup();
    const f = take(1);
    expect(pi.getPageType(f, PGT.l1)).toBe(0);
    expect(pi.getPageType(f, PGT.l1)).toBe(0);
    expect(log).toEqual([`validate ${f} 1`]);
    expect(pi.typeCountOf(f)).toBe(2);
    expect(pi.isValidated(f)).toBe(true);
    pi.putPageType(f);
    expect(log).toHaveLength(1);
    pi.putPageType(f);
    expect(log).toEqual([`validate ${f} 1`, `devalidate ${f} 1`]);
    expect(pi.typeOf(f)).toBe(PGT.l1); // keeps its type, not validated
    expect(pi.isValidated(f)).toBe(false);
    expect(pi.getPageType(f, PGT.l1)).toBe(0);
    expect(log.at(-1)).toBe(`validate ${f} 1`);
    expect(pi.stats).toMatchObject({ typeChanges: 1, validations: 2 });
  });

  it("changes type only at type count 0: an L1 cannot be made writable or an L2 meanwhile", () => {
    const { pi, take } = setup();
    const f = take(1);
    expect(pi.getPageType(f, PGT.l1)).toBe(0);
    expect(pi.getPageType(f, PGT.writable)).toBe(-ERRNO.EINVAL);
    expect(pi.getPageType(f, PGT.l2)).toBe(-ERRNO.EINVAL);
    pi.putPageType(f);
    expect(pi.getPageType(f, PGT.writable)).toBe(0);
    expect(pi.typeOf(f)).toBe(PGT.writable);
    expect(pi.getPageType(f, PGT.l1)).toBe(-ERRNO.EINVAL); // a writable mapping exists
    expect(pi.stats.typeChanges).toBe(2);
  });

  it("a failed validation leaves the frame untyped with nothing taken", () => {
    const { pi, take } = setup({ validate: () => -ERRNO.EINVAL });
    const f = take(1);
    expect(pi.getPageAndType(f, 1, PGT.l2)).toBe(-ERRNO.EINVAL);
    expect(pi.typeOf(f)).toBe(PGT.none);
    expect(pi.typeCountOf(f)).toBe(0);
    expect(pi.refCount(f)).toBe(1);
    expect(pi.stats.validationFailures).toBe(1);
    expect(pi.getPageType(f, PGT.writable)).toBe(0); // free to take another type
  });

  it("pins: type and general reference held; twice is -EINVAL; only the owner; only page tables", () => {
    const { pi, take } = setup();
    const f = take(1);
    expect(pi.pin(f, 2, PGT.l1)).toBe(-ERRNO.EINVAL);
    expect(pi.pin(f, 1, PGT.writable)).toBe(-ERRNO.EINVAL);
    expect(pi.pin(f, 1, PGT.l1)).toBe(0);
    expect(pi.isPinned(f)).toBe(true);
    expect(pi.refCount(f)).toBe(2);
    expect(pi.typeCountOf(f)).toBe(1);
    expect(pi.pin(f, 1, PGT.l1)).toBe(-ERRNO.EINVAL);
    expect(pi.refCount(f)).toBe(2); // the refused pin took nothing
    expect(pi.pin(f, 1, PGT.l2)).toBe(-ERRNO.EINVAL);
    expect(pi.unpin(f, 2)).toBe(-ERRNO.EINVAL);
    expect(pi.unpin(f, 1)).toBe(0);
    expect(pi.unpin(f, 1)).toBe(-ERRNO.EINVAL);
    expect(pi.refCount(f)).toBe(1);
    expect(pi.typeCountOf(f)).toBe(0);
  });

  it("frees a frame only when unpinned with count 0; then it is reusable, scrubbed of its type", () => {
    const { frames, pi, log, take } = setup();
    const f = take(1);
    expect(pi.pin(f, 1, PGT.l1)).toBe(0);
    expect(pi.getPage(f, 1)).toBe(true); // e.g. an L2 entry maps it
    expect(pi.release(f, 1)).toBe(true); // drops the pin and the allocation
    expect(log.at(-1)).toBe(`devalidate ${f} 1`);
    expect(frames.owner(f)).toBe(1); // still referenced
    expect(frames.current(1)).toBe(1);
    pi.putPage(f);
    expect(frames.owner(f)).toBe(OWNER_FREE);
    expect(frames.current(1)).toBe(0);
    expect(pi.stats.freed).toBe(1);
    // reusable, as a fresh frame, by anyone
    const g = frames.alloc(2)!;
    expect(g).toBe(f);
    pi.assign(g);
    expect(pi.typeOf(g)).toBe(PGT.none);
    expect(pi.refCount(g)).toBe(1);
  });

  it("refuses what would corrupt the counts", () => {
    const { pi, take } = setup();
    const f = take(1);
    expect(() => pi.putPageType(f)).toThrow(/no type references/);
    expect(() => pi.assign(f)).toThrow(/in use/);
    expect(pi.release(f, 2)).toBe(false);
    expect(pi.getPage(1_000_000 as Mfn, 1)).toBe(false);
  });

  it("without hooks, validating a page table fails loudly", () => {
    const frames = new MachineFrames(8);
    frames.setMax(1, 8);
    const pi = new PageInfo(frames);
    const f = frames.alloc(1)!;
    pi.assign(f);
    expect(() => pi.getPageType(f, PGT.l1)).toThrow(/no page-table validator/);
    expect(pi.getPageType(f, PGT.writable)).toBe(0);
  });
});
