// DAA DAS AAA AAS AAM AAD against the SDM's examples and rules, and against the host CPU.
import { describe, it, expect } from "vitest";
import { runAsm, flatMachine } from "../helpers/flat.ts";
import { assemble } from "../helpers/asm.ts";
import { L } from "../../src/core/layout.gen.ts";
import { nativeUnavailable, crossCheck, randomInputs } from "../helpers/native.ts";

const CF = 1, PF = 4, AF = 0x10, ZF = 0x40, SF = 0x80;
const run = (src: string, eax: number, ebx = 0, flags = 0) =>
  runAsm(src, (m) => { m.setReg("eax", eax); m.setReg("ebx", ebx); m.eflags = 2 | flags; });

describe("decimal adjusts (SDM rules)", () => {
  it("DAA: the SDM example 79 + 35 = 114 (AL = 14, CF = 1)", () => {
    const m = run("add %bl, %al\ndaa", 0x79, 0x35);
    expect(m.reg("eax") & 0xff).toBe(0x14);
    expect(m.eflags & (SF | ZF | AF | PF | CF)).toBe(AF | PF | CF);
  });
  it("DAS: the SDM example 35 - 47 = -12 (AL = 88, CF = 1)", () => {
    const m = run("sub %bl, %al\ndas", 0x35, 0x47);
    expect(m.reg("eax") & 0xff).toBe(0x88);
    expect(m.eflags & (SF | ZF | AF | PF | CF)).toBe(SF | AF | PF | CF);
  });
  it("DAA/DAS with nothing to adjust clear AF and CF", () => {
    const m = run("daa", 0x45, 0, AF | CF);
    expect(m.reg("eax") & 0xff).toBe(0x45 + 0x66);
    const n = run("daa", 0x45);
    expect(n.reg("eax") & 0xff).toBe(0x45);
    expect(n.eflags & (AF | CF)).toBe(0);
  });
  it("AAA: '9' + '8' = 17 unpacked (AH incremented, AL = 7, AF = CF = 1)", () => {
    const m = run("add $0x38, %al\naaa", 0x0139);
    expect(m.reg("eax") & 0xffff).toBe(0x0207);
    expect(m.eflags & (AF | CF)).toBe(AF | CF);
    const n = run("aaa", 0x1234);
    expect(n.reg("eax") & 0xffff).toBe(0x1204);
    expect(n.eflags & (AF | CF)).toBe(0);
  });
  it("AAS: '3' - '5' borrows (AH decremented, AL = 8, AF = CF = 1)", () => {
    const m = run("sub $0x35, %al\naas", 0x0133);
    expect(m.reg("eax") & 0xffff).toBe(0x0008);
    expect(m.eflags & (AF | CF)).toBe(AF | CF);
  });
  it("AAM: AH = AL / imm8, AL = AL mod imm8; SF ZF PF from AL", () => {
    expect(run("aam", 63).reg("eax") & 0xffff).toBe(0x0603);
    const m = run("aam $16", 0x3f);
    expect(m.reg("eax") & 0xffff).toBe(0x030f);
    const z = run("aam", 0x50);
    expect(z.reg("eax") & 0xffff).toBe(0x0800);
    expect(z.eflags & (ZF | PF | SF)).toBe(ZF | PF);
  });
  it("AAM 0 raises #DE and changes nothing", () => {
    const m = flatMachine();
    m.writePhys(0x1000, assemble("aam $0\nhlt", 0x1000));
    m.setReg("eax", 0x1234);
    m.eip = 0x1000;
    expect(m.run(10n)).toBe("EXCEPTION");
    expect(m.field(L.S_EXC_VECTOR)).toBe(0);
    expect(m.reg("eax")).toBe(0x1234);
  });
  it("AAD: AL = AL + AH * imm8 (any imm8, 0 included), AH = 0", () => {
    expect(run("aad", 0x0603).reg("eax") & 0xffff).toBe(63);
    expect(run("aad $16", 0x030f).reg("eax") & 0xffff).toBe(0x3f);
    expect(run("aad $0", 0x7f05).reg("eax") & 0xffff).toBe(5);
    const m = run("aad $255", 0xffff1010);
    expect(m.reg("eax")).toBe((0xffff0000 | ((0x10 + 0x10 * 255) & 0xff)) >>> 0);
  });
});

const why = nativeUnavailable();
describe.skipIf(why !== null)("decimal adjusts against the host CPU", () => {
  it("agrees on results, #DE and the defined flags", () => {
    // defined: DAA/DAS all but OF; AAA/AAS AF CF; AAM/AAD SF ZF PF
    const defined: Record<string, number> = { daa: CF | PF | AF | ZF | SF, das: CF | PF | AF | ZF | SF, aaa: AF | CF, aas: AF | CF };
    const bodies = ["daa", "das", "aaa", "aas", "aam", "aam $7", "aam $0", "aam $255", "aad", "aad $0", "aad $7", "aad $255",
      "add %bl, %al\ndaa", "sub %bl, %al\ndas", "add %bl, %al\naaa", "sub %bl, %al\naas"];
    const bad = crossCheck(bodies, randomInputs(1000, 51), (b) => defined[b.split("\n").pop()!] ?? (SF | ZF | PF));
    expect(bad).toEqual([]);
  });
});
if (why) console.warn(why);
