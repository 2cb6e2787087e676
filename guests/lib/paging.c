/* paging.c: identity map of the first 16 MiB with 4 KiB pages (two-level, non-PAE). */
#include "bare.h"

#define MAPPED_MIB 16
u32 page_dir[1024] PAGE_ALIGNED;
static u32 page_tables[MAPPED_MIB / 4][1024] PAGE_ALIGNED;

void paging_identity(u32 flags) {
  for (u32 i = 0; i < 1024; i++) page_dir[i] = 0;
  for (u32 t = 0; t < MAPPED_MIB / 4; t++) {
    page_dir[t] = (u32)page_tables[t] | PG_P | PG_W | PG_U;
    for (u32 i = 0; i < 1024; i++) page_tables[t][i] = ((t << 22) | (i << 12)) | flags;
  }
}

u32 *pte_of(u32 va) { return &page_tables[va >> 22][(va >> 12) & 1023]; }

void paging_on(void) {
  write_cr3((u32)page_dir);
  write_cr0(read_cr0() | CR0_PG);
}

void paging_off(void) { write_cr0(read_cr0() & ~CR0_PG); }
