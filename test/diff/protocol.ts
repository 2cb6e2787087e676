// What a differential-test case and its result are, the address space the cases live in, the
// page pool both sides fill memory from, and the binary form the native runner reads and writes
// (test/diff/native/runner.c mirrors every layout here).

/** Linear address regions the generator places pages in. Everything else is never mapped by a
 *  case; the native runner's own image, stack and vDSO lie outside all of them. */
export const REGION = {
  /** 16-bit addressing reaches only 0-0xFFFF: pages 0x1000-0xF000 (page 0 stays unmapped) */
  LOW: { base: 0x1000, pages: 15 },
  /** the instruction's page and the one after it (a crossing instruction, fall-through pads) */
  CODE: { base: 0x20000000, pages: 2 },
  /** data and stack pages */
  DATA: { base: 0x30000000, pages: 16 },
} as const;

/** Linear addresses a case may touch without a mapping (the #PF tests) and that hold nothing of
 *  the runner's nor of the emulator's system tables: the regions above plus this range. */
export const SAFE_UNMAPPED = { lo: 0x40000000, hi: 0xe0000000 } as const;

export const PAGE_W = 1;
export const PAGE_X = 2;
/** fill value: the page is all int3 (0xCC) */
export const FILL_INT3 = 0xffffffff;

export const MAX_PAGES = 8;
export const MAX_POKES = 4;

export interface CasePage { addr: number; flags: number; fill: number }
export interface Poke { addr: number; value: number; size: number }

export interface Case {
  /** index within the seeded sequence */
  index: number;
  /** iced-x86 Code name of the instruction (or "INVALID") */
  form: string;
  bytes: Uint8Array;
  eip: number;
  /** EAX ECX EDX EBX ESP EBP ESI EDI */
  regs: number[];
  eflags: number;
  pages: CasePage[];
  pokes: Poke[];
}

export interface MemRun { addr: number; bytes: number[] }

/** The state after the instruction, the same record for both sides. */
export interface Result {
  regs: number[];
  eflags: number;
  eip: number;
  /** exception vector, or -1 when the instruction completed */
  vector: number;
  /** error code (vectors that push one), else 0 */
  err: number;
  /** faulting linear address for #PF, else 0 */
  cr2: number;
  /** changed bytes of the writable pages, ascending */
  mem: MemRun[];
}

// ---- the page pool (xorshift32), as runner.c makePool ----
let poolCache: Uint32Array[] | undefined;
export function poolPage(index: number): Uint32Array {
  if (!poolCache) {
    poolCache = [];
    for (let p = 0; p < 256; p++) {
      const page = new Uint32Array(1024);
      let x = (0x9e3779b9 ^ Math.imul(p, 0x85ebca6b)) >>> 0;
      if (x === 0) x = 1;
      for (let i = 0; i < 1024; i++) {
        x ^= x << 13; x >>>= 0;
        x ^= x >>> 17;
        x ^= x << 5; x >>>= 0;
        page[i] = x;
      }
      poolCache.push(page);
    }
  }
  return poolCache[index & 255];
}
const INT3_PAGE = new Uint8Array(4096).fill(0xcc);
/** The initial bytes of a page (before pokes and the instruction). */
export function pageBytes(fill: number): Uint8Array {
  return fill === FILL_INT3 ? INT3_PAGE : new Uint8Array(poolPage(fill).buffer);
}

// ---- binary case format (struct kase: 44 u32) ----
export const CASE_WORDS = 44;
export function encodeCases(cases: Case[]): Buffer {
  const buf = Buffer.alloc(cases.length * CASE_WORDS * 4);
  const w = new Uint32Array(buf.buffer, buf.byteOffset, cases.length * CASE_WORDS);
  const b = new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  cases.forEach((c, i) => {
    const o = i * CASE_WORDS;
    w[o] = c.eip;
    b[(o + 1) * 4] = c.bytes.length;
    b.set(c.bytes, (o + 1) * 4 + 1);
    for (let r = 0; r < 8; r++) w[o + 5 + r] = c.regs[r];
    w[o + 13] = c.eflags;
    w[o + 14] = c.pages.length;
    c.pages.forEach((p, k) => { w[o + 15 + 2 * k] = p.addr | p.flags; w[o + 16 + 2 * k] = p.fill; });
    w[o + 31] = c.pokes.length;
    c.pokes.forEach((p, k) => { w[o + 32 + 3 * k] = p.addr; w[o + 33 + 3 * k] = p.value; w[o + 34 + 3 * k] = p.size; });
  });
  return buf;
}

/** The raw context the native signal handler saw. */
export interface RawNative {
  signo: number; trapno: number; err: number; eip: number; cr2: number;
  regs: number[]; eflags: number; mem: MemRun[];
}
export const HEADER_WORDS = 8;
export const RESULT_WORDS = 15;
export function decodeResults(buf: Buffer, count: number): { header: number[]; raw: RawNative[] } {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.length);
  const u = (off: number) => dv.getUint32(off, true);
  const header = Array.from({ length: HEADER_WORDS }, (_, i) => u(i * 4));
  let off = HEADER_WORDS * 4;
  const raw: RawNative[] = [];
  for (let i = 0; i < count; i++) {
    if (off + RESULT_WORDS * 4 > buf.length) throw new Error(`native runner output ends after ${i} of ${count} results`);
    const r: RawNative = {
      signo: u(off), trapno: u(off + 4), err: u(off + 8), eip: u(off + 12), cr2: u(off + 16),
      regs: Array.from({ length: 8 }, (_, k) => u(off + 20 + 4 * k)), eflags: u(off + 52), mem: [],
    };
    const nruns = u(off + 56);
    off += RESULT_WORDS * 4;
    for (let k = 0; k < nruns; k++) {
      const addr = u(off), len = u(off + 4);
      r.mem.push({ addr, bytes: Array.from(buf.subarray(off + 8, off + 8 + len)) });
      off += 8 + ((len + 3) & ~3);
    }
    raw.push(r);
  }
  return { header, raw };
}

/** The bytes of each page of `c` before the instruction runs: fill, pokes, then the instruction
 *  (bytes that fall on a page the case does not map are dropped, as in runner.c). */
export function initialPages(c: Case): Uint8Array[] {
  const out = c.pages.map((p) => pageBytes(p.fill).slice());
  const put = (a: number, v: number) => {
    for (let k = 0; k < c.pages.length; k++) {
      if (c.pages[k].addr === ((a & ~0xfff) >>> 0)) { out[k][a & 0xfff] = v & 0xff; return; }
    }
  };
  for (const p of c.pokes) for (let i = 0; i < p.size; i++) put((p.addr + i) >>> 0, p.value >>> (8 * i));
  c.bytes.forEach((b, i) => put((c.eip + i) >>> 0, b));
  return out;
}
