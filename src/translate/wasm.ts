// A small WebAssembly binary encoder: just what the translator emits (i32/i64 arithmetic, loads
// and stores on one imported memory, calls to imported functions, structured control flow).
// Binary format: WebAssembly Core Specification 2.0, chapter 5.

export const I32 = 0x7f;
export const I64 = 0x7e;
/** block type of a block that yields nothing */
export const VOID = 0x40;

/** Opcodes used by the translator (Core Spec 5.4). */
export const Op = {
  unreachable: 0x00, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, br_if: 0x0d,
  br_table: 0x0e, return: 0x0f, call: 0x10, drop: 0x1a, select: 0x1b,
  local_get: 0x20, local_set: 0x21, local_tee: 0x22,
  i32_load: 0x28, i64_load: 0x29, i32_load8_u: 0x2d, i32_load16_u: 0x2f,
  i32_store: 0x36, i64_store: 0x37, i32_store8: 0x3a, i32_store16: 0x3b,
  i32_const: 0x41, i64_const: 0x42,
  i32_eqz: 0x45, i32_eq: 0x46, i32_ne: 0x47, i32_lt_s: 0x48, i32_lt_u: 0x49, i32_gt_s: 0x4a,
  i32_gt_u: 0x4b, i32_le_s: 0x4c, i32_le_u: 0x4d, i32_ge_s: 0x4e, i32_ge_u: 0x4f,
  i64_eqz: 0x50, i64_lt_u: 0x54, i64_ge_u: 0x5a,
  i32_popcnt: 0x69, i32_add: 0x6a, i32_sub: 0x6b, i32_mul: 0x6c, i32_and: 0x71, i32_or: 0x72,
  i32_xor: 0x73, i32_shl: 0x74, i32_shr_s: 0x75, i32_shr_u: 0x76, i32_rotl: 0x77, i32_rotr: 0x78,
  i64_add: 0x7c, i64_sub: 0x7d, i64_extend_i32_u: 0xad,
} as const;

function uleb(out: number[], v: number): void {
  v >>>= 0;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
}

function sleb(out: number[], v: bigint): void {
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) { out.push(b); return; }
    out.push(b | 0x80);
  }
}

/** Append without spreading (bodies can be longer than the argument limit of a call). */
function append(out: number[], bytes: ArrayLike<number>): void {
  for (let i = 0; i < bytes.length; i++) out.push(bytes[i]);
}

function name(out: number[], s: string): void {
  const bytes = new TextEncoder().encode(s);
  uleb(out, bytes.length);
  append(out, bytes);
}

/** The body of one function: locals and instructions. */
export class FunctionBody {
  readonly code: number[] = [];
  private readonly localTypes: number[] = [];

  constructor(readonly params: number[], readonly results: number[]) {}

  /** Declare a local of `type`; returns its index. */
  local(type: number): number {
    this.localTypes.push(type);
    return this.params.length + this.localTypes.length - 1;
  }

  op(...bytes: number[]): this { this.code.push(...bytes); return this; }
  i32(v: number): this { this.code.push(Op.i32_const); sleb(this.code, BigInt(v | 0)); return this; }
  i64(v: bigint): this { this.code.push(Op.i64_const); sleb(this.code, BigInt.asIntN(64, v)); return this; }
  get(i: number): this { this.code.push(Op.local_get); uleb(this.code, i); return this; }
  set(i: number): this { this.code.push(Op.local_set); uleb(this.code, i); return this; }
  tee(i: number): this { this.code.push(Op.local_tee); uleb(this.code, i); return this; }
  call(fn: number): this { this.code.push(Op.call); uleb(this.code, fn); return this; }
  br(depth: number): this { this.code.push(Op.br); uleb(this.code, depth); return this; }
  brIf(depth: number): this { this.code.push(Op.br_if); uleb(this.code, depth); return this; }
  block(type = VOID): this { this.code.push(Op.block, type); this.depth++; return this; }
  loop(type = VOID): this { this.code.push(Op.loop, type); this.depth++; return this; }
  if(type = VOID): this { this.code.push(Op.if, type); this.depth++; return this; }
  else(): this { this.code.push(Op.else); return this; }
  end(): this { this.code.push(Op.end); this.depth--; return this; }
  /** branch to every label in `depths` by the index on the stack (the last is the default) */
  brTable(depths: number[]): this {
    this.code.push(Op.br_table);
    uleb(this.code, depths.length - 1);
    for (const d of depths) uleb(this.code, d);
    return this;
  }

  /** structured blocks open now (block, loop, if) */
  private depth = 0;
  /** A label for the innermost open block/loop, for brTo from deeper code. */
  label(): number { return this.depth; }
  /** br to `label` (from label()) */
  brTo(label: number): this { return this.br(this.depth - label); }
  /** br_if to `label` (from label()) */
  brIfTo(label: number): this { return this.brIf(this.depth - label); }
  ret(): this { this.code.push(Op.return); return this; }

  /** A load or store with a constant offset (`align` as log2 of the natural alignment). */
  mem(op: number, offset: number, align: number): this {
    this.code.push(op);
    uleb(this.code, align);
    uleb(this.code, offset);
    return this;
  }
  /** i32.load from the constant address `addr` */
  load32At(addr: number): this { return this.i32(0).mem(Op.i32_load, addr, 2); }
  /** i64.load from the constant address `addr` */
  load64At(addr: number): this { return this.i32(0).mem(Op.i64_load, addr, 3); }

  encode(): number[] {
    const out: number[] = [];
    // locals, run-length encoded by type
    const groups: [number, number][] = [];
    for (const t of this.localTypes) {
      if (groups.length && groups[groups.length - 1][1] === t) groups[groups.length - 1][0]++;
      else groups.push([1, t]);
    }
    uleb(out, groups.length);
    for (const [n, t] of groups) { uleb(out, n); out.push(t); }
    append(out, this.code);
    out.push(Op.end);
    const sized: number[] = [];
    uleb(sized, out.length);
    append(sized, out);
    return sized;
  }
}

interface FuncImport { module: string; field: string; params: number[]; results: number[] }

/**
 * A module: imported functions (indices 0..), one imported memory, defined functions (after the
 * imports) and their exports.
 */
export class ModuleBuilder {
  private readonly imports: FuncImport[] = [];
  private readonly bodies: { body: FunctionBody; exportName: string }[] = [];
  private memory?: { module: string; field: string; minPages: number; shared: boolean };

  importFunction(module: string, field: string, params: number[], results: number[]): number {
    if (this.bodies.length) throw new Error("import functions before defining any");
    this.imports.push({ module, field, params, results });
    return this.imports.length - 1;
  }
  /** Import a memory; shared by default, as the core's is (src/core/core.ts): a module importing
   * a shared memory must declare it shared. */
  importMemory(module: string, field: string, minPages: number, shared = true): void {
    this.memory = { module, field, minPages, shared };
  }
  /** Add a function exported as `exportName`; returns its function index. */
  addFunction(body: FunctionBody, exportName: string): number {
    this.bodies.push({ body, exportName });
    return this.imports.length + this.bodies.length - 1;
  }

  encode(): Uint8Array {
    const types: string[] = [];
    const typeOf = (params: number[], results: number[]): number => {
      const key = `${params.join(",")}:${results.join(",")}`;
      let i = types.indexOf(key);
      if (i < 0) { types.push(key); i = types.length - 1; }
      return i;
    };
    const importTypes = this.imports.map((f) => typeOf(f.params, f.results));
    const bodyTypes = this.bodies.map(({ body }) => typeOf(body.params, body.results));
    const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const section = (id: number, content: number[]): void => {
      out.push(id);
      uleb(out, content.length);
      append(out, content);
    };
    const vec = <T>(items: T[], each: (o: number[], x: T, i: number) => void): number[] => {
      const o: number[] = [];
      uleb(o, items.length);
      items.forEach((x, i) => each(o, x, i));
      return o;
    };
    section(1, vec(types, (o, key) => {
      const [p, r] = key.split(":").map((s) => (s ? s.split(",").map(Number) : []));
      o.push(0x60);
      uleb(o, p.length); o.push(...p);
      uleb(o, r.length); o.push(...r);
    }));
    const imports: number[] = [];
    const n = this.imports.length + (this.memory ? 1 : 0);
    uleb(imports, n);
    this.imports.forEach((f, i) => { name(imports, f.module); name(imports, f.field); imports.push(0x00); uleb(imports, importTypes[i]); });
    if (this.memory) {
      name(imports, this.memory.module); name(imports, this.memory.field);
      // limits: 0x00 min; 0x03 min max shared (threads proposal: a shared memory declares a maximum)
      if (this.memory.shared) { imports.push(0x02, 0x03); uleb(imports, this.memory.minPages); uleb(imports, 65536); }
      else { imports.push(0x02, 0x00); uleb(imports, this.memory.minPages); }
    }
    section(2, imports);
    section(3, vec(bodyTypes, (o, t) => uleb(o, t)));
    section(7, vec(this.bodies, (o, { exportName }, i) => {
      name(o, exportName); o.push(0x00); uleb(o, this.imports.length + i);
    }));
    const code: number[] = [];
    uleb(code, this.bodies.length);
    for (const { body } of this.bodies) append(code, body.encode());
    section(10, code);
    return new Uint8Array(out);
  }
}
