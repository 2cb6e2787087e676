// The single source of the core's memory layout. `npm run gen` turns this table into
// assembly/layout.ts (AssemblyScript constants) and src/core/layout.gen.ts (TypeScript constants);
// nothing else states an offset. Fields are laid out in order, each aligned to its own size.
//
// Address spaces in the Wasm memory: state fields live in the STATE region; guest machine RAM is
// the RAM region (machine address `ma` → Wasm address RAM_BASE + ma).

export type FieldType = "u8" | "u16" | "u32" | "u64";

export interface Field {
  name: string;
  type: FieldType;
  /** number of elements (arrays), default 1 */
  count?: number;
  doc: string;
}

export interface Region {
  name: string;
  /** size in bytes */
  size: number;
  /** alignment in bytes */
  align: number;
  doc: string;
}

/** Exit reasons of `run()`; counted per reason in EXIT_COUNTS. */
export const EXIT_REASONS = [
  "NONE",          // not an exit (internal)
  "BUDGET",        // the instruction budget is used up
  "DECODE_MISS",   // no decoded block at the current fetch address: host must decode
  "EXCEPTION",     // an exception the core does not deliver itself (EXC_* fields say which)
  "HLT",           // HLT with nothing to wake it
  "IO",            // port I/O: IO_* fields describe the access
  "HYPERCALL",     // int 0x82 from a PV guest
  "SHUTDOWN",      // triple fault or a device asked to stop
  "INTERNAL",      // the core hit a condition it cannot handle (a bug); EXIT_ARG says which
  "INTERRUPT",     // INTR_PENDING with IF = 1 at an instruction boundary: the host acknowledges
                   // its interrupt controller and calls the core's interrupt(vector)
] as const;

/** Register numbering follows the ModRM encoding (Intel SDM Vol. 2, Table 2-1). */
export const GPR_NAMES = ["EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI"] as const;
/** Segment register numbering follows the Sreg encoding (SDM Vol. 2, Table 3-6). */
export const SEG_NAMES = ["ES", "CS", "SS", "DS", "FS", "GS"] as const;

export const STATE_FIELDS: Field[] = [
  { name: "GPR", type: "u32", count: 8, doc: "general registers, ModRM order EAX ECX EDX EBX ESP EBP ESI EDI" },
  { name: "EIP", type: "u32", doc: "instruction pointer (offset in CS)" },
  { name: "FLAGS", type: "u32", doc: "EFLAGS, except the arithmetic bits named in FLAGS_LAZY" },
  { name: "FLAGS_LAZY", type: "u32", doc: "mask of CF|PF|AF|ZF|SF|OF bits to compute from the LAZY_* fields" },
  { name: "LAZY_OP", type: "u32", doc: "operation that last set the lazy flags (exec/flags.ts LAZY_*)" },
  { name: "LAZY_A", type: "u32", doc: "first operand of that operation" },
  { name: "LAZY_B", type: "u32", doc: "second operand" },
  { name: "LAZY_RES", type: "u32", doc: "its result" },
  { name: "LAZY_SIZE", type: "u32", doc: "its operand size in bits minus one (7, 15, 31)" },
  { name: "SEG_SEL", type: "u32", count: 6, doc: "segment selectors, Sreg order ES CS SS DS FS GS" },
  { name: "SEG_BASE", type: "u32", count: 6, doc: "hidden descriptor cache: base (linear)" },
  { name: "SEG_LIMIT", type: "u32", count: 6, doc: "hidden descriptor cache: effective limit in bytes (granularity applied)" },
  { name: "SEG_ATTR", type: "u32", count: 6, doc: "hidden descriptor cache: descriptor bits 40-55 (type, S, DPL, P, AVL, L, D/B, G) >> 8; bit 16 usable (not null), 17 fast read, 18 fast write (assembly/state.ts ATTR_*)" },
  { name: "GDTR_BASE", type: "u32", doc: "GDTR base (linear)" },
  { name: "GDTR_LIMIT", type: "u32", doc: "GDTR limit" },
  { name: "IDTR_BASE", type: "u32", doc: "IDTR base (linear)" },
  { name: "IDTR_LIMIT", type: "u32", doc: "IDTR limit" },
  { name: "LDTR_SEL", type: "u32", doc: "LDTR selector" },
  { name: "LDTR_BASE", type: "u32", doc: "LDTR base (linear)" },
  { name: "LDTR_LIMIT", type: "u32", doc: "LDTR limit" },
  { name: "TR_SEL", type: "u32", doc: "task register selector" },
  { name: "TR_BASE", type: "u32", doc: "TSS base (linear)" },
  { name: "TR_LIMIT", type: "u32", doc: "TSS limit" },
  { name: "TR_ATTR", type: "u32", doc: "TSS descriptor attributes, as SEG_ATTR" },
  { name: "CR0", type: "u32", doc: "control register 0" },
  { name: "CR2", type: "u32", doc: "page-fault linear address" },
  { name: "CR3", type: "u32", doc: "page-directory base (machine address in bare mode)" },
  { name: "CR4", type: "u32", doc: "control register 4" },
  { name: "EFER", type: "u32", doc: "extended feature enable MSR (bit 11 NXE)" },
  { name: "SYSENTER_CS", type: "u32", doc: "IA32_SYSENTER_CS MSR (0x174)" },
  { name: "SYSENTER_ESP", type: "u32", doc: "IA32_SYSENTER_ESP MSR (0x175)" },
  { name: "SYSENTER_EIP", type: "u32", doc: "IA32_SYSENTER_EIP MSR (0x176)" },
  { name: "INTR_SHADOW", type: "u32", doc: "1 after MOV SS / POP SS / STI: interrupts wait until the next instruction retires" },
  { name: "DR", type: "u32", count: 8, doc: "debug registers DR0-DR7 (DR4/DR5 alias DR6/DR7)" },
  { name: "CPL", type: "u32", doc: "current privilege level (0-3)" },
  { name: "MODE", type: "u32", doc: "mode bits that select decoded blocks: bit 0 = CS.D (32-bit code), bits 1-2 = CPL, bit 3 = PV guest" },
  { name: "INSTR_EIP", type: "u32", doc: "EIP of the instruction being executed (fault EIP)" },
  { name: "HALTED", type: "u32", doc: "1 while the CPU waits in HLT" },
  { name: "EXC_POLICY", type: "u32", doc: "0 = every exception exits to the host; 1 = delivered through the IDT in the core; 2 = PV: only software INT n of a vector in SOFT_INT_DIRECT goes through the IDT, everything else exits" },
  { name: "SOFT_INT_DIRECT", type: "u32", count: 8, doc: "EXC_POLICY 2: bitmap of vectors whose INT n the core delivers through the IDT (Xen's direct trap for int $0x80)" },
  { name: "EXC_VECTOR", type: "u32", doc: "exception being raised (valid with EXIT_EXCEPTION)" },
  { name: "EXC_CODE", type: "u32", doc: "its error code" },
  { name: "EXC_HAS_CODE", type: "u32", doc: "1 if it pushes an error code" },
  { name: "EXC_KIND", type: "u32", doc: "0 fault (EIP = faulting instruction), 1 trap (EIP = next), 2 software interrupt INT n" },
  { name: "EXIT_REASON", type: "u32", doc: "why run() returned (EXIT_*)" },
  { name: "EXIT_ARG", type: "u32", count: 4, doc: "exit-specific arguments" },
  { name: "IO_PORT", type: "u32", doc: "port of a pending I/O exit" },
  { name: "IO_SIZE", type: "u32", doc: "1, 2 or 4 bytes" },
  { name: "IO_DIR", type: "u32", doc: "0 = in, 1 = out" },
  { name: "IO_VALUE", type: "u32", doc: "value written (out) or to be returned (in)" },
  { name: "IO_STRING", type: "u32", doc: "1 when the pending input is INS: the host passes the value to the core's finishStringIn() (not EAX)" },
  { name: "IO_LIN", type: "u32", doc: "INS: linear address (already checked) the input value goes to" },
  { name: "FETCH_LIN", type: "u32", doc: "linear address of a DECODE_MISS" },
  { name: "FETCH_PHYS", type: "u32", doc: "machine address of a DECODE_MISS" },
  { name: "RAM_SIZE", type: "u32", doc: "bytes of guest machine RAM" },
  { name: "INTR_PENDING", type: "u32", doc: "1 when an external interrupt line is raised (PIC)" },
  { name: "BLOCK_STALE", type: "u32", doc: "set when a store hits the page of the running block" },
  { name: "CUR_BLOCK_PAGE", type: "u32", doc: "machine page number of the running block" },
  { name: "CUR_BLOCK_PAGE2", type: "u32", doc: "second page of the running block (cross-page instruction), else 0xFFFFFFFF" },
  { name: "TLB_VALID_COUNT", type: "u32", doc: "entries listed in TLB_VALID_LIST" },
  { name: "REC_NEXT", type: "u32", doc: "next free record slot" },
  { name: "BLOCK_NEXT", type: "u32", doc: "next free block header" },
  { name: "JIT_THRESHOLD", type: "u32", doc: "translation tier: block entries before a block is queued for translation (0 = before its first run); 0xFFFFFFFF = interpreter only" },
  { name: "JIT_QUEUE_COUNT", type: "u32", doc: "block indices waiting in JIT_QUEUE for the host to translate" },
  { name: "JIT_SEG_BOUND", type: "u32", count: 24, doc: "translation tier: per segment × 4 access kinds (read, write, stack read, stack write) the bound a 4-byte access offset must stay below, computed from SEG_LIMIT/SEG_ATTR when a translation finds its segments in JIT_SEG_DIRTY (priv/segment.ts jitSegRefresh), for translations to read (src/translate/codegen-mem.ts); the core never reads it" },
  { name: "JIT_SEG_DIRTY", type: "u32", doc: "translation tier: bit s set when segment register s's limit or attributes changed since its JIT_SEG_BOUND words were computed (set by every write of them, also Machine.setSegment)" },
  { name: "PV_FLAGS", type: "u32", doc: "PV fast paths in the core (assembly/hv): bit 0 = bounce exceptions and serve HYPERVISOR_iret in the core (EXC_POLICY 2); what they cannot do exactly as src/hv does still exits" },
  { name: "PV_VM_ASSIST", type: "u32", doc: "PV: the domain's vm_assist bits (src/hv Domain.vmAssist)" },
  { name: "PV_IOPL", type: "u32", doc: "PV: the virtual IOPL (0-3)" },
  { name: "PV_KERNEL_SS", type: "u32", doc: "PV: stack_switch selector (the ring-1 stack for bounces from ring 3)" },
  { name: "PV_KERNEL_SP", type: "u32", doc: "PV: stack_switch stack pointer" },
  { name: "PV_CR2", type: "u32", doc: "PV: the guest-visible CR2 (last page-fault address reported to the guest)" },
  { name: "PV_UPCALL_PENDING_MA", type: "u32", doc: "PV: machine address of vcpu_info.evtchn_upcall_pending (u8)" },
  { name: "PV_UPCALL_MASK_MA", type: "u32", doc: "PV: machine address of vcpu_info.evtchn_upcall_mask (u8)" },
  { name: "PV_ARCH_CR2_MA", type: "u32", doc: "PV: machine address of vcpu_info.arch.cr2 (u32)" },
  { name: "PV_HV_START", type: "u32", doc: "PV: first linear address of the hypervisor area (guest accesses must end below it)" },
  { name: "PV_SEG_END", type: "u32", doc: "PV: where the guest's segments end (the flat selectors' limit + 1)" },
  { name: "PV_GDT_ENTRIES", type: "u32", doc: "PV: entries of the guest GDT (set_gdt)" },
  { name: "PV_GDT_MFN", type: "u32", count: 14, doc: "PV: machine frames of the guest GDT (set_gdt)" },
  { name: "PV_IRETS", type: "u32", doc: "PV: HYPERVISOR_iret calls served in the core since the host last collected them" },
  { name: "PV_BOUNCED", type: "u32", doc: "PV: exceptions bounced in the core since the host last collected PV_BOUNCE_COUNTS" },
  { name: "PATCH_MEMO_MA", type: "u32", doc: "the last store patchable() allowed, remembered (assembly/mmu/patch.ts): its machine address + 1, 0 = none; dropped whenever code is decoded or a page's code is dropped" },
  { name: "PATCH_MEMO_SIZE", type: "u32", doc: "bytes of the remembered store" },
  { name: "PATCH_MEMO_N", type: "u32", doc: "records the remembered store patches (at most PATCH_MEMO_MAX)" },
  { name: "PATCH_MEMO_REC", type: "u32", count: 4, doc: "those records (Wasm addresses)" },
  { name: "PATCH_MEMO_FIELD", type: "u32", count: 4, doc: "machine address of each one's patched constant" },
  { name: "PATCH_MEMO_KIND", type: "u32", count: 4, doc: "each one's field (REC_IMM or REC_DISP) | constant size << 8 | 0x10000 when sign-extended" },
  { name: "INSNS", type: "u64", doc: "instructions retired (also the time-stamp counter)" },
  { name: "TSC_OFFSET", type: "u64", doc: "added to INSNS to form the time-stamp counter (WRMSR 0x10 sets it)" },
  { name: "BUDGET_END", type: "u64", doc: "run() returns EXIT_BUDGET once INSNS reaches this" },
  { name: "TLB_HITS", type: "u64", doc: "TLB lookups that hit" },
  { name: "TLB_MISSES", type: "u64", doc: "TLB lookups that missed" },
  { name: "TLB_WALKS", type: "u64", doc: "page-table walks" },
  { name: "TLB_FLUSHES", type: "u64", doc: "full TLB flushes" },
  { name: "BLOCKS_DECODED", type: "u64", doc: "blocks decoded by the host" },
  { name: "BLOCKS_RUN", type: "u64", doc: "blocks entered" },
  { name: "BLOCKS_INVALIDATED", type: "u64", doc: "code pages invalidated by stores (self-modifying code)" },
  { name: "CODE_PATCHES", type: "u64", doc: "stores into code that only changed immediates or displacements: the records were patched in place (assembly/mmu/patch.ts)" },
  { name: "EXIT_COUNTS", type: "u64", count: 16, doc: "exits by reason (EXIT_*)" },
  { name: "FAULT_COUNTS", type: "u64", count: 256, doc: "exceptions and interrupts raised, by vector (0-255)" },
];

/** Record: one decoded instruction (32 bytes), written by src/decode, executed by assembly/exec. */
export const RECORD_FIELDS: Field[] = [
  { name: "OP", type: "u16", doc: "handler number (generated from src/decode/forms)" },
  { name: "LEN", type: "u8", doc: "instruction length in bytes" },
  { name: "FLAGS", type: "u8", doc: "REC_F_* bits" },
  { name: "R0", type: "u8", doc: "register of operand 0 (see src/decode/registers.ts numbering)" },
  { name: "R1", type: "u8", doc: "register of operand 1" },
  { name: "BASE", type: "u8", doc: "memory operand base GPR, 8 = none" },
  { name: "INDEX", type: "u8", doc: "memory operand index GPR, 8 = none" },
  { name: "SCALE", type: "u8", doc: "memory operand index shift (0-3)" },
  { name: "SEG", type: "u8", doc: "memory operand segment (Sreg order), prefix applied" },
  { name: "R2", type: "u8", doc: "register of operand 2" },
  { name: "CC", type: "u8", doc: "condition code (0-15, Intel tttn) for Jcc/SETcc/CMOVcc" },
  { name: "DISP", type: "u32", doc: "memory displacement" },
  { name: "IMM", type: "u32", doc: "immediate (sign-extended to the operand size)" },
  { name: "IMM2", type: "u32", doc: "second immediate: branch displacement from next EIP, far selector, ENTER level" },
  { name: "CODE", type: "u32", doc: "iced-x86 Code (for traces and error messages)" },
  { name: "END", type: "u16", doc: "offset of the next instruction from the block's first (the EIP after it = block EIP + END)" },
  { name: "PAD1", type: "u16", doc: "reserved" },
];

/** Block header: a run of records decoded from one machine page (plus a crossing instruction). */
export const BLOCK_FIELDS: Field[] = [
  { name: "PHYS", type: "u32", doc: "machine address of the first instruction" },
  { name: "MODE", type: "u32", doc: "MODE bits it was decoded for" },
  { name: "GEN", type: "u32", doc: "PAGE_GEN of its page when decoded" },
  { name: "PAGE2", type: "u32", doc: "machine page of a crossing last instruction, else 0xFFFFFFFF" },
  { name: "GEN2", type: "u32", doc: "PAGE_GEN of PAGE2 when decoded" },
  { name: "FIRST", type: "u32", doc: "index of the first record" },
  { name: "COUNT", type: "u32", doc: "number of records" },
  { name: "LIN_PAGE2", type: "u32", doc: "linear page of the crossing instruction's second part (checked on entry)" },
];

export const MAX_RAM_BYTES = 1 << 30;
/** Code tracking inside a page: 16-byte chunks, 256 bits a page. */
export const CODE_CHUNK_SHIFT = 4;
export const CODE_MAP_BYTES_PER_PAGE = (0x1000 >>> CODE_CHUNK_SHIFT) >>> 3;
export const BLOCK_HASH_SLOTS = 1 << 16;
export const RECORD_SLOTS = 1 << 18;
export const TLB_VALID_MAX = 1 << 16;
export const JIT_QUEUE_MAX = 1 << 10;
/**
 * Patch sites (assembly/mmu/patch.ts, src/decode/patch-sites.ts): a direct-mapped table keyed by
 * 16-byte code chunk listing the records decoded from the chunk's bytes, each with where its
 * immediate and displacement are.
 */
export const PATCH_SLOTS = 1 << 12;
export const PATCH_SLOT_BYTES = 256;
/** entries in a slot: (PATCH_SLOT_BYTES - 8) / 12 */
export const PATCH_ENTRIES = 20;

export const REGIONS: Region[] = [
  { name: "STATE", size: 0x1000, align: 0x1000, doc: "CPU state (STATE_FIELDS)" },
  { name: "SCRATCH", size: 0x1000, align: 0x1000, doc: "host ↔ core scratch buffer" },
  { name: "TLB", size: 4 << 20, align: 0x1000, doc: "u32 per linear page: machine page | TLB_* flags, 0 = invalid" },
  { name: "TLB_VALID_LIST", size: TLB_VALID_MAX * 4, align: 0x1000, doc: "linear page numbers with a valid TLB entry" },
  { name: "PAGE_GEN", size: (MAX_RAM_BYTES >>> 12) * 4, align: 0x1000, doc: "u32 per machine page: bumped when a store invalidates its decoded code" },
  { name: "CODE_PAGE", size: MAX_RAM_BYTES >>> 12, align: 0x1000, doc: "u8 per machine page: 1 while decoded blocks come from it" },
  { name: "CODE_MAP", size: (MAX_RAM_BYTES >>> 12) * CODE_MAP_BYTES_PER_PAGE, align: 0x1000, doc: "per machine page, one bit per 16-byte chunk (8 × u32): set while decoded code covers the chunk" },
  { name: "CODE_NOPATCH", size: (MAX_RAM_BYTES >>> 12) * CODE_MAP_BYTES_PER_PAGE, align: 0x1000, doc: "per machine page, one bit per 16-byte chunk: code there was decoded that PATCH_TABLE does not list, so a store into the chunk invalidates the page" },
  { name: "PAGE_PATCH", size: (MAX_RAM_BYTES >>> 12) * 4, align: 0x1000, doc: "u32 per machine page: bumped when a store patches a record decoded from the page in place (translations that baked its constants stop)" },
  { name: "PATCH_TABLE", size: PATCH_SLOTS * PATCH_SLOT_BYTES, align: 0x1000, doc: "patch sites by code chunk: u32 chunk + 1 (0 = free), u32 count, PATCH_ENTRIES × (u32 ma of the record, u32 record address, u8 imm offset, u8 imm size | 0x80 sign-extended, u8 disp offset, u8 disp size)" },
  { name: "BLOCK_HASH", size: BLOCK_HASH_SLOTS * 4, align: 0x1000, doc: "u32 per slot: block index + 1, 0 = empty (direct-mapped on PHYS^MODE)" },
  { name: "BLOCKS", size: BLOCK_HASH_SLOTS * 32, align: 0x1000, doc: "block headers (BLOCK_FIELDS)" },
  { name: "BLOCK_JIT", size: BLOCK_HASH_SLOTS * 4, align: 0x1000, doc: "u32 per block header: its entry count, JIT_QUEUED, JIT_NEVER, or JIT_COMPILED | table index of its translation (assembly/exec/run.ts)" },
  { name: "JIT_QUEUE", size: JIT_QUEUE_MAX * 4, align: 0x1000, doc: "indices of hot blocks waiting for translation" },
  { name: "PV_TRAP_TABLE", size: 256 * 8, align: 0x1000, doc: "PV trap table, 8 bytes per vector: u32 handler EIP, u16 CS, u8 trap_info flags, u8 1 = registered (written by src/hv/core-mirror.ts)" },
  { name: "PV_BOUNCE_COUNTS", size: 256 * 4, align: 0x1000, doc: "PV: u32 per vector, exceptions bounced in the core since the host last collected them" },
  { name: "RECORDS", size: RECORD_SLOTS * 32, align: 0x1000, doc: "decoded records (RECORD_FIELDS)" },
  { name: "RAM", size: 0, align: 0x100000, doc: "guest machine RAM; its size is chosen when the machine is made" },
];
