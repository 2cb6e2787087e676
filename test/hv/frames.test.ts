import { describe, it, expect } from "vitest";
import { MachineFrames, OWNER_FREE, FrameError } from "../../src/hv/frames.ts";
import { DOMID_XEN } from "../../src/hv/abi.ts";
import { mfn } from "../../src/hv/addr.ts";

describe("machine frames", () => {
  it("hands out scattered frames: not identity, not contiguous, each once", () => {
    const fr = new MachineFrames(4096);
    fr.setMax(1, 1024);
    const got = fr.allocMany(1, 1024)!;
    expect(new Set(got).size).toBe(1024);
    const identity = got.filter((f, i) => f === i).length;
    const adjacent = got.filter((f, i) => i > 0 && f === got[i - 1] + 1).length;
    expect(identity).toBeLessThan(8);
    expect(adjacent).toBeLessThan(8);
    for (const f of got) expect(fr.owner(f)).toBe(1);
    expect(fr.current(1)).toBe(1024);
    expect(fr.freeCount).toBe(4096 - 1024);
  });

  it("is deterministic for a seed and differs between seeds", () => {
    const take = (seed: number) => { const fr = new MachineFrames(512, seed); fr.setMax(1, 64); return fr.allocMany(1, 64)!; };
    expect(take(7)).toEqual(take(7));
    expect(take(7)).not.toEqual(take(8));
  });

  it("enforces the maximum allocation, all or none", () => {
    const fr = new MachineFrames(256);
    fr.setMax(1, 10);
    expect(fr.allocMany(1, 11)).toBeUndefined();
    expect(fr.current(1)).toBe(0);
    expect(fr.allocMany(1, 10)).toHaveLength(10);
    expect(fr.alloc(1)).toBeUndefined();
    fr.setMax(1, 11);
    expect(fr.alloc(1)).toBeDefined();
    expect(() => fr.alloc(2)).toThrow(FrameError);
  });

  it("fails when machine memory runs out", () => {
    const fr = new MachineFrames(16);
    fr.setMax(1, 100);
    expect(fr.allocMany(1, 17)).toBeUndefined();
    expect(fr.allocMany(1, 16)).toHaveLength(16);
    expect(fr.alloc(1)).toBeUndefined();
  });

  it("frees a frame back to the pool and reuses it first; a double free is an error", () => {
    const fr = new MachineFrames(64);
    fr.setMax(1, 8);
    const [a] = fr.allocMany(1, 2)!;
    fr.free(a);
    expect(fr.owner(a)).toBe(OWNER_FREE);
    expect(fr.current(1)).toBe(1);
    expect(fr.alloc(1)).toBe(a);
    fr.free(a);
    expect(() => fr.free(a)).toThrow(/freed twice/);
  });

  it("xen-heap frames have an owner but do not count against a domain", () => {
    const fr = new MachineFrames(64);
    fr.setMax(1, 4);
    const shared = fr.allocXenHeap(1);
    expect(fr.owner(shared)).toBe(1);
    expect(fr.isXenHeap(shared)).toBe(true);
    expect(fr.current(1)).toBe(0);
    const own = fr.allocXenHeap();
    expect(fr.owner(own)).toBe(DOMID_XEN);
    fr.free(shared);
    expect(fr.current(1)).toBe(0);
  });

  it("reserves an aligned contiguous run for the hypervisor and never hands it out", () => {
    const fr = new MachineFrames(2048);
    const base = fr.reserveContiguous(512, 512);
    expect(base % 512).toBe(0);
    expect(base).toBe(1536); // the highest aligned run
    for (let f = base; f < base + 512; f++) expect(fr.owner(mfn(f))).toBe(DOMID_XEN);
    fr.setMax(1, 2048);
    const rest = fr.allocMany(1, 2048 - 512)!;
    expect(rest.every((f) => f < base)).toBe(true);
    expect(fr.alloc(1)).toBeUndefined();
  });

  it("reserveContiguous skips runs that hold an allocated frame", () => {
    const fr = new MachineFrames(1024);
    fr.setMax(1, 1024);
    let taken: number | undefined;
    while (taken === undefined) { const f = fr.alloc(1)!; if (f >= 512) taken = f; }
    expect(fr.reserveContiguous(512, 512)).toBe(0);
    expect(() => fr.reserveContiguous(512, 512)).toThrow(/no 512 free contiguous/);
  });

  it("rejects frames outside RAM", () => {
    const fr = new MachineFrames(16);
    expect(() => fr.owner(mfn(16))).toThrow(/outside RAM/);
  });
});

describe("allocExtent (alloc_domheap_pages)", () => {
  it("gives 2^order contiguous frames aligned to 2^order, below a limit, counted against the maximum", () => {
    const fr = new MachineFrames(1024);
    fr.setMax(1, 64);
    const a = fr.allocExtent(1, 3)!;
    expect(a % 8).toBe(0);
    for (let f = a; f < a + 8; f++) expect(fr.owner(mfn(f))).toBe(1);
    expect(fr.current(1)).toBe(8);
    const low = fr.allocExtent(1, 2, 256)!;
    expect(low % 4).toBe(0);
    expect(low + 4).toBeLessThanOrEqual(256);
    const one = fr.allocExtent(1, 0, 16)!;
    expect(one).toBeLessThan(16);
    expect(fr.current(1)).toBe(13);
    expect(fr.allocExtent(1, 6)).toBeUndefined(); // 13 + 64 > 64
    expect(fr.freeCount).toBe(1024 - 13);
  });

  it("calls onFree for each frame returning to the pool, which hands it out first", () => {
    const fr = new MachineFrames(64);
    fr.setMax(1, 8);
    const freed: number[] = [];
    fr.onFree = (f) => freed.push(f);
    const f = fr.alloc(1)!;
    fr.free(f);
    expect(freed).toEqual([f]);
    expect(fr.alloc(1)).toBe(f);
  });
});
