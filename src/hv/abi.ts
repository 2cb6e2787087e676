// Xen's x86_32 paravirtual ABI: the numbers and structure layouts the hypervisor and its guests
// share. Names follow Xen's public headers (xen/include/public, Debian's libxen-dev), so each can
// be checked against them: test/hv/abi.test.ts compiles the headers and compares every entry of
// ABI_CHECKS below. Contract: ../shared/docs/XEN-PV-ABI.md.

/** Hypercall numbers (xen.h __HYPERVISOR_*). */
export const HYPERCALL = {
  set_trap_table: 0, mmu_update: 1, set_gdt: 2, stack_switch: 3, set_callbacks: 4,
  fpu_taskswitch: 5, sched_op_compat: 6, platform_op: 7, set_debugreg: 8, get_debugreg: 9,
  update_descriptor: 10, memory_op: 12, multicall: 13, update_va_mapping: 14, set_timer_op: 15,
  event_channel_op_compat: 16, xen_version: 17, console_io: 18, physdev_op_compat: 19,
  grant_table_op: 20, vm_assist: 21, update_va_mapping_otherdomain: 22, iret: 23, vcpu_op: 24,
  mmuext_op: 26, xsm_op: 27, nmi_op: 28, sched_op: 29, callback_op: 30, xenoprof_op: 31,
  event_channel_op: 32, physdev_op: 33, hvm_op: 34, sysctl: 35, domctl: 36,
} as const;

/** Error numbers returned negated in EAX (xen/errno.h XEN_E*). */
export const ERRNO = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EIO: 5, ENXIO: 6, E2BIG: 7, EBADF: 9, EAGAIN: 11, ENOMEM: 12,
  EACCES: 13, EFAULT: 14, EBUSY: 16, EEXIST: 17, EXDEV: 18, ENODEV: 19, EINVAL: 22, ENFILE: 23,
  ENOSPC: 28, ERANGE: 34, EDEADLK: 35, ENOSYS: 38, ENODATA: 61, ETIME: 62, EOVERFLOW: 75, EOPNOTSUPP: 95,
  EADDRINUSE: 98, ETIMEDOUT: 110, EISCONN: 106,
} as const;

/** The hypervisor's flat segment selectors (arch-x86/xen-x86_32.h FLAT_RING*). */
export const FLAT_RING1_CS = 0xe019;
export const FLAT_RING1_DS = 0xe021;
export const FLAT_RING3_CS = 0xe02b;
export const FLAT_RING3_DS = 0xe033;
/** Start of the hypervisor's part of every address space, PAE layout (HYPERVISOR_VIRT_START). */
export const HYPERVISOR_VIRT_START_PAE = 0xf5800000;
/** The same for the classic 2-level layout of Xen's original design (no longer in the headers). */
export const HYPERVISOR_VIRT_START_CLASSIC = 0xfc000000;
/** Read-only machine-to-physical table, PAE layout (MACH2PHYS_VIRT_START / _END). */
export const MACH2PHYS_VIRT_START_PAE = 0xf5800000;
export const MACH2PHYS_VIRT_END_PAE = 0xf6800000;
/** The same for the classic 2-level layout (arch-x86/xen-x86_32.h *_NONPAE). */
export const MACH2PHYS_VIRT_START_NONPAE = 0xfc000000;
export const MACH2PHYS_VIRT_END_NONPAE = 0xfc400000;

/** Reserved domain ids (xen.h DOMID_*): owners of frames that belong to no ordinary domain. */
export const DOMID_SELF = 0x7ff0;
export const DOMID_IO = 0x7ff1;
export const DOMID_XEN = 0x7ff2;
export const DOMID_COW = 0x7ff3;
export const DOMID_INVALID = 0x7ff4;

/** ELF note types, name "Xen" (elfnote.h XEN_ELFNOTE_*). */
export const ELFNOTE = {
  INFO: 0, ENTRY: 1, HYPERCALL_PAGE: 2, VIRT_BASE: 3, PADDR_OFFSET: 4, XEN_VERSION: 5,
  GUEST_OS: 6, GUEST_VERSION: 7, LOADER: 8, PAE_MODE: 9, FEATURES: 10, BSD_SYMTAB: 11,
  HV_START_LOW: 12, L1_MFN_VALID: 13, SUSPEND_CANCEL: 14, INIT_P2M: 15, MOD_START_PFN: 16,
  SUPPORTED_FEATURES: 17, PHYS32_ENTRY: 18,
} as const;

/** start_info flags (xen.h SIF_*). */
export const SIF_PRIVILEGED = 1;
export const SIF_INITDOMAIN = 2;

/** struct start_info (x86_32): offsets and size. */
export const START_INFO = {
  magic: 0, nr_pages: 32, shared_info: 36, flags: 40, store_mfn: 44, store_evtchn: 48,
  console_mfn: 52, console_evtchn: 56, pt_base: 60, nr_pt_frames: 64, mfn_list: 68,
  mod_start: 72, mod_len: 76, cmd_line: 80, first_p2m_pfn: 1104, nr_p2m_frames: 1108,
  size: 1112,
} as const;
export const MAX_GUEST_CMDLINE = 1024;

/** struct shared_info / vcpu_info (x86_32) offsets. */
export const SHARED_INFO = { vcpu_info: 0, evtchn_pending: 2048, evtchn_mask: 2176, wc_version: 2304, wc_sec: 2308, wc_nsec: 2312, arch_max_pfn: 2316, wc_sec_hi: 2340 } as const;
export const VCPU_INFO = {
  evtchn_upcall_pending: 0, evtchn_upcall_mask: 1, evtchn_pending_sel: 4, arch_cr2: 8, time: 32,
  size: 64,
} as const;
export const VCPU_TIME_INFO = { version: 0, tsc_timestamp: 8, system_time: 16, tsc_to_system_mul: 24, tsc_shift: 28 } as const;
export const XEN_LEGACY_MAX_VCPUS = 32;

/** struct trap_info (8 bytes). */
export const TRAP_INFO = { vector: 0, flags: 1, cs: 2, address: 4, size: 8 } as const;
/** struct mmu_update (16 bytes) and its commands (ptr & 3). */
export const MMU_UPDATE = { ptr: 0, val: 8, size: 16 } as const;
export const MMU_NORMAL_PT_UPDATE = 0;
export const MMU_MACHPHYS_UPDATE = 1;
export const MMU_PT_UPDATE_PRESERVE_AD = 2;
/** struct mmuext_op (x86_32: 12 bytes) and its commands. */
export const MMUEXT_OP = { cmd: 0, arg1: 4, arg2: 8, size: 12 } as const;
export const MMUEXT = {
  PIN_L1_TABLE: 0, PIN_L2_TABLE: 1, PIN_L3_TABLE: 2, PIN_L4_TABLE: 3, UNPIN_TABLE: 4,
  NEW_BASEPTR: 5, TLB_FLUSH_LOCAL: 6, INVLPG_LOCAL: 7, TLB_FLUSH_MULTI: 8, INVLPG_MULTI: 9,
  TLB_FLUSH_ALL: 10, INVLPG_ALL: 11, FLUSH_CACHE: 12, SET_LDT: 13, NEW_USER_BASEPTR: 15,
  CLEAR_PAGE: 16, COPY_PAGE: 17,
} as const;
/** update_va_mapping flags. */
export const UVMF_NONE = 0;
export const UVMF_TLB_FLUSH = 1;
export const UVMF_INVLPG = 2;
export const UVMF_FLUSHTYPE_MASK = 3;
export const UVMF_ALL = 4;

/** vm_assist commands and types. */
export const VMASST_CMD_enable = 0;
export const VMASST_CMD_disable = 1;
export const VMASST_TYPE = { "4gb_segments": 0, "4gb_segments_notify": 1, writable_pagetables: 2, pae_extended_cr3: 3, architectural_iopl: 4, runstate_update_flag: 5, m2p_strict: 32 } as const;

/** sched_op commands and shutdown reasons (sched.h). */
export const SCHEDOP = { yield: 0, block: 1, shutdown: 2, poll: 3, remote_shutdown: 4, shutdown_code: 5, watchdog: 6, pin_override: 7 } as const;
export const SHUTDOWN = { poweroff: 0, reboot: 1, suspend: 2, crash: 3, watchdog: 4, soft_reset: 5 } as const;

/** console_io commands and the PV console ring (io/console.h). */
export const CONSOLEIO_write = 0;
export const CONSOLEIO_read = 1;
export const XENCONS = { in: 0, out: 1024, in_cons: 3072, in_prod: 3076, out_cons: 3080, out_prod: 3084, in_size: 1024, out_size: 2048 } as const;

/** event_channel_op commands (event_channel.h EVTCHNOP_*) and port states. */
export const EVTCHNOP = {
  bind_interdomain: 0, bind_virq: 1, bind_pirq: 2, close: 3, send: 4, status: 5, alloc_unbound: 6,
  bind_ipi: 7, bind_vcpu: 8, unmask: 9, reset: 10, init_control: 11, expand_array: 12,
  set_priority: 13,
} as const;
export const EVTCHNSTAT = { closed: 0, unbound: 1, interdomain: 2, pirq: 3, virq: 4, ipi: 5 } as const;
export const VIRQ_TIMER = 0;
export const VIRQ_DEBUG = 1;
export const VIRQ_CONSOLE = 2;
export const EVTCHN_2L_NR_CHANNELS_X86_32 = 1024;

/** callback_op (callback.h). */
export const CALLBACKOP_register = 0;
export const CALLBACKOP_unregister = 1;
export const CALLBACKTYPE = { event: 0, failsafe: 1, syscall: 2, syscall32: 7, sysenter: 5, nmi: 4 } as const;
export const CALLBACKF_mask_events = 1;

/** grant_table_op (grant_table.h GNTTABOP_*). */
export const GNTTABOP = { map_grant_ref: 0, unmap_grant_ref: 1, setup_table: 2, dump_table: 3, transfer: 4, copy: 5, query_size: 6, unmap_and_replace: 7, set_version: 8, get_status_frames: 9, get_version: 10 } as const;

/** xen_version commands (version.h XENVER_*). */
export const XENVER = { version: 0, extraversion: 1, compile_info: 2, capabilities: 3, changeset: 4, platform_parameters: 5, get_features: 6, pagesize: 7, guest_handle: 8, commandline: 9 } as const;

/** memory_op commands (memory.h XENMEM_*). */
export const XENMEM = {
  increase_reservation: 0, decrease_reservation: 1, maximum_ram_page: 2, current_reservation: 3, maximum_reservation: 4,
  machphys_mfn_list: 5, populate_physmap: 6, add_to_physmap: 7, memory_map: 9, machine_memory_map: 10, exchange: 11,
  machphys_mapping: 12, set_memory_map: 13, maximum_gpfn: 14, remove_from_physmap: 15,
} as const;
/** memory_op's cmd: the command in the low bits, the continuation's start extent above (Xen's
 * xen/include/xen/hypercall.h, not a public header). */
export const MEMOP_EXTENT_SHIFT = 6;
export const MEMOP_CMD_MASK = (1 << MEMOP_EXTENT_SHIFT) - 1;
/** struct xen_memory_reservation (x86_32: 20 bytes). */
export const XEN_MEMORY_RESERVATION = { extent_start: 0, nr_extents: 4, extent_order: 8, mem_flags: 12, domid: 16, size: 20 } as const;
/** XENMEMF_* flags in mem_flags: address bits in 0-7, (node + 1) in 8-15, then single bits. */
export const XENMEMF = { populate_on_demand: 1 << 16, exact_node_request: 1 << 17, vnode: 1 << 18 } as const;

/** physdev_op commands (physdev.h PHYSDEVOP_*). */
export const PHYSDEVOP_set_iopl = 6;
export const PHYSDEVOP_set_iobitmap = 7;

/** vcpu_op commands (vcpu.h VCPUOP_*). */
export const VCPUOP = { initialise: 0, up: 1, down: 2, is_up: 3, get_runstate_info: 4, register_runstate_memory_area: 5, set_periodic_timer: 6, stop_periodic_timer: 7, set_singleshot_timer: 8, stop_singleshot_timer: 9, register_vcpu_info: 10 } as const;

/** multicall_entry (x86_32: 32 bytes). */
export const MULTICALL_ENTRY = { op: 0, result: 4, args: 8, size: 32 } as const;

/** Argument structures of the calls src/hv implements (x86_32 layouts), checked below. */
export const EVTCHN_ALLOC_UNBOUND = { dom: 0, remote_dom: 2, port: 4 } as const;
export const EVTCHN_BIND_VIRQ = { virq: 0, vcpu: 4, port: 8 } as const;
export const EVTCHN_BIND_IPI = { vcpu: 0, port: 4 } as const;
export const EVTCHN_STATUS = { dom: 0, port: 4, status: 8, vcpu: 12, u: 16, interdomain_port: 20 } as const;
export const CALLBACK_REGISTER = { type: 0, flags: 2, address: 4, size: 12 } as const;
export const SCHED_POLL = { ports: 0, nr_ports: 4, timeout: 8 } as const;
export const GNTTAB_SETUP_TABLE = { dom: 0, nr_frames: 4, status: 8, frame_list: 12 } as const;
export const GNTTAB_QUERY_SIZE = { dom: 0, nr_frames: 4, max_nr_frames: 8, status: 12 } as const;
export const GNTTAB_GET_VERSION = { dom: 0, version: 4 } as const;
/** struct gnttab_copy (x86_32, 24 bytes) */
export const GNTTAB_COPY = { source: 0, dest: 8, len: 16, flags: 18, status: 20, size: 24 } as const;
export const GNTCOPY_source_gref = 1, GNTCOPY_dest_gref = 2;
/** grant_entry_v1 flags */
export const GTF_permit_access = 1, GTF_type_mask = 3, GTF_readonly = 1 << 2, GTF_reading = 1 << 3, GTF_writing = 1 << 4;
/** grant_table.h GNTST_* status codes. */
export const GNTST = { okay: 0, general_error: -1, bad_domain: -2, bad_gntref: -3, bad_virt_addr: -5, permission_denied: -8, bad_page: -9, bad_copy_arg: -10 } as const;
export const VCPU_SET_SINGLESHOT_TIMER = { timeout_abs_ns: 0, flags: 8 } as const;
export const VCPU_SSHOTTMR_future = 1;
export const XEN_FEATURE_INFO = { submap_idx: 0, submap: 4 } as const;
export const XENFEAT_pae_pgdir_above_4gb = 4;
/** VIRQs per vCPU/domain (xen.h NR_VIRQS). */
export const NR_VIRQS = 24;
/** The hypervisor's GDT entries start here (arch-x86/xen.h). */
export const FIRST_RESERVED_GDT_PAGE = 14;
export const FIRST_RESERVED_GDT_ENTRY = 7168;

/** [C expression, expected value]: what test/hv/abi.test.ts checks against the headers. */
export const ABI_CHECKS: [string, number][] = [
  ...Object.entries(HYPERCALL).map(([k, v]) => [`__HYPERVISOR_${k}`, v] as [string, number]),
  ...Object.entries(ERRNO).map(([k, v]) => [`XEN_${k}`, v] as [string, number]),
  ["FLAT_RING1_CS", FLAT_RING1_CS], ["FLAT_RING1_DS", FLAT_RING1_DS],
  ["FLAT_RING3_CS", FLAT_RING3_CS], ["FLAT_RING3_DS", FLAT_RING3_DS],
  ["HYPERVISOR_VIRT_START", HYPERVISOR_VIRT_START_PAE], ["MACH2PHYS_VIRT_START", MACH2PHYS_VIRT_START_PAE],
  ["MACH2PHYS_VIRT_END", MACH2PHYS_VIRT_END_PAE],
  ["HYPERVISOR_VIRT_START_NONPAE", HYPERVISOR_VIRT_START_CLASSIC],
  ["MACH2PHYS_VIRT_START_NONPAE", MACH2PHYS_VIRT_START_NONPAE], ["MACH2PHYS_VIRT_END_NONPAE", MACH2PHYS_VIRT_END_NONPAE],
  ["DOMID_SELF", DOMID_SELF], ["DOMID_IO", DOMID_IO], ["DOMID_XEN", DOMID_XEN], ["DOMID_COW", DOMID_COW],
  ["DOMID_INVALID", DOMID_INVALID],
  ...Object.entries(ELFNOTE).map(([k, v]) => [`XEN_ELFNOTE_${k}`, v] as [string, number]),
  ["SIF_PRIVILEGED", SIF_PRIVILEGED], ["SIF_INITDOMAIN", SIF_INITDOMAIN],
  ...(["magic", "nr_pages", "shared_info", "flags", "store_mfn", "store_evtchn", "pt_base", "nr_pt_frames", "mfn_list", "mod_start", "mod_len", "cmd_line", "first_p2m_pfn", "nr_p2m_frames"] as const)
    .map((k) => [`offsetof(struct start_info, ${k})`, START_INFO[k]] as [string, number]),
  ["offsetof(struct start_info, console.domU.mfn)", START_INFO.console_mfn],
  ["offsetof(struct start_info, console.domU.evtchn)", START_INFO.console_evtchn],
  ["sizeof(struct start_info)", START_INFO.size], ["MAX_GUEST_CMDLINE", MAX_GUEST_CMDLINE],
  ["offsetof(struct shared_info, evtchn_pending)", SHARED_INFO.evtchn_pending],
  ["offsetof(struct shared_info, evtchn_mask)", SHARED_INFO.evtchn_mask],
  ["offsetof(struct shared_info, wc_version)", SHARED_INFO.wc_version],
  ["offsetof(struct shared_info, wc_sec)", SHARED_INFO.wc_sec], ["offsetof(struct shared_info, wc_nsec)", SHARED_INFO.wc_nsec],
  ["offsetof(struct shared_info, arch.max_pfn)", SHARED_INFO.arch_max_pfn],
  ["offsetof(struct shared_info, arch.wc_sec_hi)", SHARED_INFO.wc_sec_hi],
  ["offsetof(struct vcpu_info, evtchn_upcall_pending)", VCPU_INFO.evtchn_upcall_pending],
  ["offsetof(struct vcpu_info, evtchn_upcall_mask)", VCPU_INFO.evtchn_upcall_mask],
  ["offsetof(struct vcpu_info, evtchn_pending_sel)", VCPU_INFO.evtchn_pending_sel],
  ["offsetof(struct vcpu_info, arch.cr2)", VCPU_INFO.arch_cr2],
  ["offsetof(struct vcpu_info, time)", VCPU_INFO.time], ["sizeof(struct vcpu_info)", VCPU_INFO.size],
  ...Object.entries(VCPU_TIME_INFO).map(([k, v]) => [`offsetof(struct vcpu_time_info, ${k})`, v] as [string, number]),
  ["XEN_LEGACY_MAX_VCPUS", XEN_LEGACY_MAX_VCPUS],
  ...(["vector", "flags", "cs", "address"] as const).map((k) => [`offsetof(struct trap_info, ${k})`, TRAP_INFO[k]] as [string, number]),
  ["sizeof(struct trap_info)", TRAP_INFO.size],
  ["offsetof(struct mmu_update, ptr)", MMU_UPDATE.ptr], ["offsetof(struct mmu_update, val)", MMU_UPDATE.val],
  ["sizeof(struct mmu_update)", MMU_UPDATE.size],
  ["MMU_NORMAL_PT_UPDATE", MMU_NORMAL_PT_UPDATE], ["MMU_MACHPHYS_UPDATE", MMU_MACHPHYS_UPDATE],
  ["MMU_PT_UPDATE_PRESERVE_AD", MMU_PT_UPDATE_PRESERVE_AD],
  ["offsetof(struct mmuext_op, cmd)", MMUEXT_OP.cmd], ["offsetof(struct mmuext_op, arg1)", MMUEXT_OP.arg1],
  ["offsetof(struct mmuext_op, arg2)", MMUEXT_OP.arg2], ["sizeof(struct mmuext_op)", MMUEXT_OP.size],
  ...Object.entries(MMUEXT).map(([k, v]) => [`MMUEXT_${k}`, v] as [string, number]),
  ["UVMF_NONE", UVMF_NONE], ["UVMF_TLB_FLUSH", UVMF_TLB_FLUSH], ["UVMF_INVLPG", UVMF_INVLPG],
  ["UVMF_FLUSHTYPE_MASK", UVMF_FLUSHTYPE_MASK], ["UVMF_ALL", UVMF_ALL],
  ["VMASST_CMD_enable", VMASST_CMD_enable], ["VMASST_CMD_disable", VMASST_CMD_disable],
  ...Object.entries(VMASST_TYPE).map(([k, v]) => [`VMASST_TYPE_${k}`, v] as [string, number]),
  ...Object.entries(SCHEDOP).map(([k, v]) => [`SCHEDOP_${k}`, v] as [string, number]),
  ...Object.entries(SHUTDOWN).map(([k, v]) => [`SHUTDOWN_${k}`, v] as [string, number]),
  ["CONSOLEIO_write", CONSOLEIO_write], ["CONSOLEIO_read", CONSOLEIO_read],
  ...(["in", "out", "in_cons", "in_prod", "out_cons", "out_prod"] as const).map((k) => [`offsetof(struct xencons_interface, ${k})`, XENCONS[k]] as [string, number]),
  ...Object.entries(EVTCHNOP).map(([k, v]) => [`EVTCHNOP_${k}`, v] as [string, number]),
  ...Object.entries(EVTCHNSTAT).map(([k, v]) => [`EVTCHNSTAT_${k}`, v] as [string, number]),
  ["VIRQ_TIMER", VIRQ_TIMER], ["VIRQ_DEBUG", VIRQ_DEBUG], ["VIRQ_CONSOLE", VIRQ_CONSOLE],
  ["CALLBACKOP_register", CALLBACKOP_register], ["CALLBACKOP_unregister", CALLBACKOP_unregister],
  ...Object.entries(CALLBACKTYPE).map(([k, v]) => [`CALLBACKTYPE_${k}`, v] as [string, number]),
  ["CALLBACKF_mask_events", CALLBACKF_mask_events],
  ...Object.entries(GNTTABOP).map(([k, v]) => [`GNTTABOP_${k}`, v] as [string, number]),
  ...Object.entries(XENVER).map(([k, v]) => [`XENVER_${k}`, v] as [string, number]),
  ...Object.entries(XENMEM).map(([k, v]) => [`XENMEM_${k}`, v] as [string, number]),
  ...(["extent_start", "nr_extents", "extent_order", "mem_flags", "domid"] as const)
    .map((k) => [`offsetof(struct xen_memory_reservation, ${k})`, XEN_MEMORY_RESERVATION[k]] as [string, number]),
  ["sizeof(struct xen_memory_reservation)", XEN_MEMORY_RESERVATION.size],
  ...Object.entries(XENMEMF).map(([k, v]) => [`XENMEMF_${k}`, v] as [string, number]),
  ["PHYSDEVOP_set_iopl", PHYSDEVOP_set_iopl], ["PHYSDEVOP_set_iobitmap", PHYSDEVOP_set_iobitmap],
  ...Object.entries(VCPUOP).map(([k, v]) => [`VCPUOP_${k}`, v] as [string, number]),
  ["offsetof(struct multicall_entry, op)", MULTICALL_ENTRY.op],
  ["offsetof(struct multicall_entry, result)", MULTICALL_ENTRY.result],
  ["offsetof(struct multicall_entry, args)", MULTICALL_ENTRY.args],
  ["sizeof(struct multicall_entry)", MULTICALL_ENTRY.size],
  ...Object.entries(EVTCHN_ALLOC_UNBOUND).map(([k, v]) => [`offsetof(struct evtchn_alloc_unbound, ${k})`, v] as [string, number]),
  ...Object.entries(EVTCHN_BIND_VIRQ).map(([k, v]) => [`offsetof(struct evtchn_bind_virq, ${k})`, v] as [string, number]),
  ...Object.entries(EVTCHN_BIND_IPI).map(([k, v]) => [`offsetof(struct evtchn_bind_ipi, ${k})`, v] as [string, number]),
  ["offsetof(struct evtchn_status, dom)", EVTCHN_STATUS.dom], ["offsetof(struct evtchn_status, port)", EVTCHN_STATUS.port],
  ["offsetof(struct evtchn_status, status)", EVTCHN_STATUS.status], ["offsetof(struct evtchn_status, vcpu)", EVTCHN_STATUS.vcpu],
  ["offsetof(struct evtchn_status, u.virq)", EVTCHN_STATUS.u], ["offsetof(struct evtchn_status, u.unbound.dom)", EVTCHN_STATUS.u],
  ["offsetof(struct evtchn_status, u.interdomain.port)", EVTCHN_STATUS.interdomain_port],
  ["offsetof(struct callback_register, type)", CALLBACK_REGISTER.type], ["offsetof(struct callback_register, flags)", CALLBACK_REGISTER.flags],
  ["offsetof(struct callback_register, address)", CALLBACK_REGISTER.address], ["sizeof(struct callback_register)", CALLBACK_REGISTER.size],
  ...Object.entries(SCHED_POLL).map(([k, v]) => [`offsetof(struct sched_poll, ${k})`, v] as [string, number]),
  ...Object.entries(GNTTAB_SETUP_TABLE).map(([k, v]) => [`offsetof(struct gnttab_setup_table, ${k})`, v] as [string, number]),
  ...Object.entries(GNTTAB_QUERY_SIZE).map(([k, v]) => [`offsetof(struct gnttab_query_size, ${k})`, v] as [string, number]),
  ...Object.entries(GNTTAB_GET_VERSION).map(([k, v]) => [`offsetof(struct gnttab_get_version, ${k})`, v] as [string, number]),
  ...(["len", "flags", "status"] as const).map((k) => [`offsetof(struct gnttab_copy, ${k})`, GNTTAB_COPY[k]] as [string, number]),
  ["offsetof(struct gnttab_copy, source.u.ref)", GNTTAB_COPY.source], ["offsetof(struct gnttab_copy, dest)", GNTTAB_COPY.dest],
  ["offsetof(struct gnttab_copy, source.domid)", 4], ["offsetof(struct gnttab_copy, source.offset)", 6],
  ["sizeof(struct gnttab_copy)", GNTTAB_COPY.size],
  ["GNTCOPY_source_gref", GNTCOPY_source_gref], ["GNTCOPY_dest_gref", GNTCOPY_dest_gref],
  ["GTF_permit_access", GTF_permit_access], ["GTF_type_mask", GTF_type_mask], ["GTF_readonly", GTF_readonly],
  ["GTF_reading", GTF_reading], ["GTF_writing", GTF_writing],
  ...Object.entries(GNTST).map(([k, v]) => [`(uint32_t)GNTST_${k}`, v >>> 0] as [string, number]),
  ...Object.entries(VCPU_SET_SINGLESHOT_TIMER).map(([k, v]) => [`offsetof(struct vcpu_set_singleshot_timer, ${k})`, v] as [string, number]),
  ["VCPU_SSHOTTMR_future", VCPU_SSHOTTMR_future],
  ...Object.entries(XEN_FEATURE_INFO).map(([k, v]) => [`offsetof(struct xen_feature_info, ${k})`, v] as [string, number]),
  ["XENFEAT_pae_pgdir_above_4gb", XENFEAT_pae_pgdir_above_4gb], ["NR_VIRQS", NR_VIRQS],
  ["FIRST_RESERVED_GDT_PAGE", FIRST_RESERVED_GDT_PAGE], ["FIRST_RESERVED_GDT_ENTRY", FIRST_RESERVED_GDT_ENTRY],
  ["sizeof(struct xencons_interface)", 3088],
];