// struct start_info (x86_32, 1112 bytes; xen.h), the page whose virtual address a PV kernel finds
// in ESI at entry. Offsets come from src/hv/abi.ts START_INFO, checked against Xen's headers.
// The command line is copied as libxc does: at most MAX_GUEST_CMDLINE - 1 bytes, NUL-terminated.
import { START_INFO, MAX_GUEST_CMDLINE } from "../hv/abi.ts";

export interface StartInfo {
  /** "xen-3.0-x86_32p" (PAE) or "xen-3.0-x86_32" (classic) */
  magic: string;
  nrPages: number;
  /** MACHINE address of the shared_info page */
  sharedInfo: number;
  /** SIF_* */
  flags: number;
  storeMfn: number;
  storeEvtchn: number;
  consoleMfn: number;
  consoleEvtchn: number;
  /** VIRTUAL address of the top page table (L3 or L2) */
  ptBase: number;
  nrPtFrames: number;
  /** VIRTUAL address of the P2M list */
  mfnList: number;
  modStart: number;
  modLen: number;
  cmdLine: string;
  firstP2mPfn: number;
  nrP2mFrames: number;
}

/** The command line's bytes as start_info holds them (UTF-8, cut to 1023 bytes). */
export function cmdLineBytes(cmdLine: string): Uint8Array {
  return new TextEncoder().encode(cmdLine).subarray(0, MAX_GUEST_CMDLINE - 1);
}

/** Encode start_info into a zeroed page-sized buffer. */
export function encodeStartInfo(si: StartInfo): Uint8Array {
  const page = new Uint8Array(4096);
  const dv = new DataView(page.buffer);
  const magic = new TextEncoder().encode(si.magic);
  if (magic.length >= 32) throw new Error(`start_info magic '${si.magic}' does not fit 32 bytes`);
  page.set(magic, START_INFO.magic);
  const u32 = (off: number, v: number) => dv.setUint32(off, v >>> 0, true);
  u32(START_INFO.nr_pages, si.nrPages);
  u32(START_INFO.shared_info, si.sharedInfo);
  u32(START_INFO.flags, si.flags);
  u32(START_INFO.store_mfn, si.storeMfn);
  u32(START_INFO.store_evtchn, si.storeEvtchn);
  u32(START_INFO.console_mfn, si.consoleMfn);
  u32(START_INFO.console_evtchn, si.consoleEvtchn);
  u32(START_INFO.pt_base, si.ptBase);
  u32(START_INFO.nr_pt_frames, si.nrPtFrames);
  u32(START_INFO.mfn_list, si.mfnList);
  u32(START_INFO.mod_start, si.modStart);
  u32(START_INFO.mod_len, si.modLen);
  page.set(cmdLineBytes(si.cmdLine), START_INFO.cmd_line);
  u32(START_INFO.first_p2m_pfn, si.firstP2mPfn);
  u32(START_INFO.nr_p2m_frames, si.nrP2mFrames);
  return page;
}

/** Decode start_info from its bytes (tests, diagnostics). */
export function decodeStartInfo(b: Uint8Array): StartInfo {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const u32 = (off: number) => dv.getUint32(off, true);
  const str = (off: number, len: number) => {
    const s = b.subarray(off, off + len);
    const end = s.indexOf(0);
    return new TextDecoder().decode(end < 0 ? s : s.subarray(0, end));
  };
  return {
    magic: str(START_INFO.magic, 32), nrPages: u32(START_INFO.nr_pages), sharedInfo: u32(START_INFO.shared_info),
    flags: u32(START_INFO.flags), storeMfn: u32(START_INFO.store_mfn), storeEvtchn: u32(START_INFO.store_evtchn),
    consoleMfn: u32(START_INFO.console_mfn), consoleEvtchn: u32(START_INFO.console_evtchn),
    ptBase: u32(START_INFO.pt_base), nrPtFrames: u32(START_INFO.nr_pt_frames), mfnList: u32(START_INFO.mfn_list),
    modStart: u32(START_INFO.mod_start), modLen: u32(START_INFO.mod_len), cmdLine: str(START_INFO.cmd_line, MAX_GUEST_CMDLINE),
    firstP2mPfn: u32(START_INFO.first_p2m_pfn), nrP2mFrames: u32(START_INFO.nr_p2m_frames),
  };
}
