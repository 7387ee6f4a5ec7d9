/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kprobe profile: what `record` places on kernels with kprobe events
 * and what `replay` reads back.  Both sides use these names, so this
 * header is the contract.
 *
 * All probes live in the kprobe event group PS_PROBE_GROUP.  A probe
 * whose symbol is absent or inlined in the running kernel is not placed
 * and is listed as "pagestate: missing kprobe:<name> why=<word>"; the
 * rest still record.
 *
 * Probes fetch struct page fields at offsets that come from the running
 * kernel (BTF when /sys/kernel/btf/vmlinux exists, else the per-release
 * table in record/), never from one hard-coded kernel.  The layout used
 * is written once into the recording, before any probe fires:
 *
 *   pagestate: layout source=<btf|table:RELEASE> vmemmap_base=<hex>
 *       struct_page=<n> flags=<n> mapcount=<n> refcount=<n>
 *       compound_mapcount=<n> compound_pincount=<n>
 *       foll_pin=<hex> foll_get=<hex> foll_longterm=<hex>
 *       rmap_exclusive=<hex> rmap_compound=<hex>
 *       [folio_flags_1=<n>] [large_mapcount=<n>] [entire_mapcount=<n>]
 *       [nr_pages_mapped=<n>] [folio_pincount=<n>] [mm_id_mapcount=<n>]
 *       [mm_id=<n>] [vma_mm=<n>]
 *   pagestate: pageflags <name>=<bit> ...     (enum pageflags, by name,
 *       aliases included: mappedtodisk and anon_exclusive share a bit)
 *
 * Offsets are decimal byte offsets into struct page; compound_* are
 * offsets into the FIRST TAIL page (page + struct_page bytes), as on 6.1
 * (folio->_entire_mapcount / _pincount on later kernels: same place).
 * pfn = (page - vmemmap_base) / struct_page.
 *
 * The bracketed keys are printed only when the kernel has the member
 * (absent: unknown).  folio_* to mm_id are byte offsets from the FOLIO
 * start (= its head struct page) of struct folio's _flags_1,
 * _large_mapcount, _entire_mapcount, _nr_pages_mapped, _pincount,
 * _mm_id_mapcount and _mm_id (the last two: 7.2 with CONFIG_MM_ID, arrays
 * of 2); vma_mm is offsetof(struct vm_area_struct, vm_mm).  On 6.12 the
 * folio order is flags_1 & 0xff when the head has PG_head.  6.1's BTF has
 * _flags_1 and _pincount, so those two may appear on 6.1 as well.
 *
 * Fields every per-page probe fetches, for its struct page *argument:
 *   page      the struct page pointer (x64)
 *   pflags    page->flags (x64)
 *   mapcount  page->_mapcount (s32, -1 when unmapped)
 *   refcount  page->_refcount (s32)
 * All values are read at function entry, i.e. BEFORE the function acts.
 *
 * Folio-era probes (6.8+ rmap API, 6.12 LTS, 7.2) whose function takes a
 * struct folio *F fetch the "folio fields":
 *   folio            F (x64)
 *   fflags           F->flags (x64)
 *   frefcount        F->_refcount (s32)
 *   fmapcount        F->_mapcount (s32: the head page's own)
 *   flags1           F->_flags_1 (x64)             \  only where the layout
 *   large_mapcount   F->_large_mapcount (s32)       |  has the member; for
 *   entire_mapcount  F->_entire_mapcount (s32)      |  an order-0 folio they
 *   nr_pages_mapped  F->_nr_pages_mapped (s32)      |  read the NEXT struct
 *   fpincount        F->_pincount (s32)            /   page: use them only
 *                                                      when fflags has PG_head
 *   mm_id_mapcount0, mm_id_mapcount1 (s32), mm_ids (x64: _mm_id[0..1],
 *                    low word id 0)  -- only where the layout has mm_id
 *                    (7.2, CONFIG_MM_ID)
 * followed by the page fields of its struct page *P (page, pflags,
 * mapcount, refcount as above) -- P = F when the function takes only a
 * folio, so page= is then the folio pointer.  Where the function takes a
 * vma, "mm" (x64) is vma->vm_mm (per-mm bookkeeping).
 *
 * Which function a probe goes on is chosen per ROLE, from candidates of
 * every kernel generation: the first whose function is in the kernel's
 * BTF with the expected parameter names; without BTF, the first in
 * /proc/kallsyms that the generation table of record/kprobes.c allows
 * (keyed by which functions exist, never by the release).  The 6.1
 * events keep their names and fields; folio-era kernels get the folio_*
 * events instead of rmap_*.
 */
#ifndef PAGESTATE_PROBES_H
#define PAGESTATE_PROBES_H

#define PS_PROBE_GROUP	"pagestate"

/*
 * event name           kernel function (6.1)            extra fields
 * -------------------- -------------------------------- -----------------------------
 * rmap_add_anon        page_add_anon_rmap(page, vma, address, flags)
 *                                                       addr (x64), rflags (u32: RMAP_*)
 * rmap_add_new_anon    page_add_new_anon_rmap(page, vma, address)
 *                                                       addr (x64), mm (a fault
 *                                                       is its own mm's task: how
 *                                                       rules name an mm's task)
 * rmap_add_file        page_add_file_rmap(page, vma, compound)
 *                                                       compound (u8)
 * rmap_remove          page_remove_rmap(page, vma, compound)
 *                                                       compound (u8)
 * gup_grab_folio       try_grab_folio(page, refs, flags)
 *                                                       refs (s32), gup_flags (u32)
 * gup_grab_page        try_grab_page(page, flags)        gup_flags (u32)
 * gup_put_folio        gup_put_folio(folio, refs, flags) refs (s32), gup_flags (u32)
 *                                                       (page = the folio pointer)
 * unpin_user_page      unpin_user_page(page)
 * split_pmd            __split_huge_pmd(vma, pmd, address, freeze, folio)
 *                                                       pmdval (x64: *pmd), addr (x64),
 *                                                       freeze (u8), hzp_pfn (x64:
 *                                                       @huge_zero_pfn, where the
 *                                                       symbol exists); no page fields
 * split_huge_page      split_huge_page_to_list(page, list)
 * split_huge_page_ret  kretprobe of the same            ret (s32)
 * madvise_collapse     madvise_collapse(vma, prev, start, end)
 *                                                       start (x64), end (x64); no page
 * madvise_collapse_ret kretprobe of the same            ret (s32)
 * collapse_huge_page   collapse_huge_page(mm, address, referenced, unmapped, cc)
 *                                                       addr (x64); no page fields
 *                                                       (inlined on many kernels)
 * collapse_file        collapse_file(mm, addr, file, start, cc)
 *                                                       mm (x64), addr (x64); no page
 *                                                       fields.  The shmem/file
 *                                                       collapse: its end is
 *                                                       huge_memory:
 *                                                       mm_khugepaged_scan_file
 * copy_page_range      copy_page_range(dst_vma, src_vma) no fields: fork copies page
 *                                                       tables from here (marks fork)
 * copy_page_range_ret  kretprobe of the same            ret (s32): the fork window ends
 * vm_normal_page_ret   kretprobe of vm_normal_page(vma, addr, pte)
 *                                                       page fields of the returned page
 *                                                       (page 0: none).  Inside a fork
 *                                                       window this is the page whose
 *                                                       PTE copy_present_pte() is about
 *                                                       to duplicate: 6.1 bumps its
 *                                                       _mapcount inline
 *                                                       (page_try_dup_anon_rmap,
 *                                                       page_dup_file_rmap), which no
 *                                                       probe can see
 * copy_huge_pmd        copy_huge_pmd(dst_mm, src_mm, dst_pmd, src_pmd, addr, dst_vma, src_vma)
 *                                                       pmdval (x64: *src_pmd), addr (x64),
 *                                                       mm (x64: dst_mm, the child's),
 *                                                       src_mm (x64: the parent's)
 * copy_huge_pmd_ret    kretprobe of the same            ret (s32): 0 when the PMD was
 *                                                       shared with the child
 * migrate_one          try_to_migrate_one(folio, vma, address, arg)
 *                                                       addr (x64), mm; no page
 *                                                       fields.  One call per vma
 *                                                       of the rmap walk: the
 *                                                       migrate:set_migration_pte
 *                                                       (thp:set_migration_pmd)
 *                                                       events of the same task
 *                                                       that follow, at addresses
 *                                                       from addr on, write mm's
 *                                                       page table
 * mm_exit              exit_mmap(mm)                    mm (x64); no page fields.
 *                                                       The mm's page tables are
 *                                                       zapped: a migration entry
 *                                                       in them goes without a
 *                                                       remove_migration_pte
 * remove_migration     remove_migration_pte(folio, vma, addr, old)
 *                                                       addr (x64), mm; the same for
 *                                                       remove_migration_pte/_pmd.
 *                      Both keep their names and signatures on 6.12 and 7.2
 *                      (the last parameter is called arg there).  Fork's copy
 *                      of a PTE migration entry (copy_nonpresent_pte) is
 *                      inline on every kernel we test: no probe sees it.
 *
 * Folio era (6.12 signatures; 7.2 the same unless noted).  rflags: rmap_t
 * (RMAP_EXCLUSIVE 0x1); nr: pages covered, all of them in [P, P+nr).
 *
 * folio_add_anon_ptes  folio_add_anon_rmap_ptes(folio, page, nr_pages, vma, address, flags)
 *                                                       folio fields, nr (s32), mm,
 *                                                       addr (x64), rflags (u32)
 * folio_add_anon_pmd   folio_add_anon_rmap_pmd(folio, page, vma, address, flags)
 *                                                       folio fields, mm, addr, rflags
 * folio_add_new_anon   folio_add_new_anon_rmap(folio, vma, address, flags)
 *                                                       folio fields (page = folio),
 *                                                       mm, addr, rflags
 * folio_add_file_ptes  folio_add_file_rmap_ptes(folio, page, nr_pages, vma)
 *                                                       folio fields, nr, mm
 * folio_add_file_pmd   folio_add_file_rmap_pmd(folio, page, vma)
 *                                                       folio fields, mm
 * folio_remove_ptes    folio_remove_rmap_ptes(folio, page, nr_pages, vma)
 *                                                       folio fields, nr, mm
 * folio_remove_pmd     folio_remove_rmap_pmd(folio, page, vma)
 *                                                       folio fields, mm
 * gup_grab_folio       try_grab_folio(folio, refs, flags)  (same event name
 *                      as 6.1's page form; this one has "folio" fields)
 *                                                       folio fields, refs, gup_flags
 *                      Out-of-line callers (objdump): 6.12
 *                      __get_user_pages, follow_page_pte, memfd_pin_folios;
 *                      7.2 the first two only (its memfd_pin_folios grabs
 *                      without calling it out of line: memfd pins, i.e.
 *                      udmabuf, are not seen there)
 * gup_grab_folio_ret   kretprobe of try_grab_folio(folio, ...)
 *                                                       ret (s32): 0 = grabbed
 * gup_grab_folio_fast  try_grab_folio_fast(page, refs, flags)
 *                                                       page fields, refs, gup_flags
 * gup_grab_folio_fast_ret  kretprobe of the same        ret (x64): the folio, 0 = failed
 * gup_put_folio        gup_put_folio(folio, refs, flags) as on 6.1, plus the folio
 *                                                       fields where the layout
 *                                                       has large_mapcount.
 *                      It is static in mm/gup.c; which callers call it
 *                      out of line, measured in the stock kernels' code
 *                      (objdump of the call sites, kallsyms from the VM):
 *                        6.12: every unpin_* (unpin_user_page,
 *                          unpin_user_folio, unpin_folio, unpin_user_pages*,
 *                          unpin_user_page_range_dirty_lock, unpin_folios),
 *                          __get_user_pages, gup_fast_fallback,
 *                          gup_fast_undo_dev_pagemap,
 *                          migrate_longterm_unpinnable_folios
 *                        7.2 (no gup_fast_undo_dev_pagemap): the same
 *                          EXCEPT unpin_user_page,
 *                          unpin_user_folio and unpin_folio, which inline
 *                          it (a thp-basic recording: 13 unpin_user_page,
 *                          1 gup_put_folio)
 *                      So count a put once per call: an unpin_user_page /
 *                      unpin_user_folio / unpin_folio whose next kprobe
 *                      event of the same task is gup_put_folio of its
 *                      folio is that put; one not followed by it is itself
 *                      the put (FOLL_PIN; refs 1, npages for
 *                      unpin_user_folio)
 * unpin_user_page      unchanged (see gup_put_folio for counting)
 * unpin_user_folio     unpin_user_folio(folio, npages)  folio fields, npages (s64);
 *                                                       see gup_put_folio for counting
 * unpin_folio          unpin_folio(folio)               folio fields; see
 *                                                       gup_put_folio for counting
 * split_pmd            __split_huge_pmd(vma, pmd, address, freeze[, folio])
 *                                                       as on 6.1, plus mm (7.2: no
 *                                                       folio argument, same fields)
 * split_huge_page      6.12: split_huge_page_to_list_to_order(page, list, new_order)
 *                                                       page fields, new_order (u32)
 *                      7.2: __folio_split(folio, new_order, split_at, lock_at, list,
 *                           split_type)               folio fields, new_order (u32),
 *                                                       split_at (x64), split_type (u32)
 * split_huge_page_ret  kretprobe of whichever was placed ret (s32)
 * madvise_collapse(_ret), collapse_huge_page, copy_page_range(_ret),
 * vm_normal_page_ret, copy_huge_pmd(_ret): names and fields as on 6.1.
 *
 * Fork's PTE copy on 6.12+ (copy_present_ptes ->
 * folio_try_dup_anon_rmap_ptes / folio_dup_file_rmap_ptes, batched by nr)
 * is inline: no probe sees it.  copy_page_range marks the window.
 */
#define PS_PROBE_RMAP_ADD_ANON		"rmap_add_anon"
#define PS_PROBE_RMAP_ADD_NEW_ANON	"rmap_add_new_anon"
#define PS_PROBE_RMAP_ADD_FILE		"rmap_add_file"
#define PS_PROBE_RMAP_REMOVE		"rmap_remove"
#define PS_PROBE_GUP_GRAB_FOLIO		"gup_grab_folio"
#define PS_PROBE_GUP_GRAB_PAGE		"gup_grab_page"
#define PS_PROBE_GUP_PUT_FOLIO		"gup_put_folio"
#define PS_PROBE_UNPIN_USER_PAGE	"unpin_user_page"
#define PS_PROBE_SPLIT_PMD		"split_pmd"
#define PS_PROBE_SPLIT_HUGE_PAGE	"split_huge_page"
#define PS_PROBE_SPLIT_HUGE_PAGE_RET	"split_huge_page_ret"
#define PS_PROBE_MADVISE_COLLAPSE	"madvise_collapse"
#define PS_PROBE_MADVISE_COLLAPSE_RET	"madvise_collapse_ret"
#define PS_PROBE_COLLAPSE_HUGE_PAGE	"collapse_huge_page"
#define PS_PROBE_COPY_PAGE_RANGE	"copy_page_range"
#define PS_PROBE_COPY_PAGE_RANGE_RET	"copy_page_range_ret"
#define PS_PROBE_VM_NORMAL_PAGE_RET	"vm_normal_page_ret"
#define PS_PROBE_COLLAPSE_FILE		"collapse_file"
#define PS_PROBE_COPY_HUGE_PMD		"copy_huge_pmd"
#define PS_PROBE_COPY_HUGE_PMD_RET	"copy_huge_pmd_ret"
#define PS_PROBE_MIGRATE_ONE		"migrate_one"
#define PS_PROBE_REMOVE_MIGRATION	"remove_migration"
#define PS_PROBE_MM_EXIT		"mm_exit"

/* folio era */
#define PS_PROBE_FOLIO_ADD_ANON_PTES	"folio_add_anon_ptes"
#define PS_PROBE_FOLIO_ADD_ANON_PMD	"folio_add_anon_pmd"
#define PS_PROBE_FOLIO_ADD_NEW_ANON	"folio_add_new_anon"
#define PS_PROBE_FOLIO_ADD_FILE_PTES	"folio_add_file_ptes"
#define PS_PROBE_FOLIO_ADD_FILE_PMD	"folio_add_file_pmd"
#define PS_PROBE_FOLIO_REMOVE_PTES	"folio_remove_ptes"
#define PS_PROBE_FOLIO_REMOVE_PMD	"folio_remove_pmd"
#define PS_PROBE_GUP_GRAB_FOLIO_RET	"gup_grab_folio_ret"
#define PS_PROBE_GUP_GRAB_FOLIO_FAST	"gup_grab_folio_fast"
#define PS_PROBE_GUP_GRAB_FOLIO_FAST_RET	"gup_grab_folio_fast_ret"
#define PS_PROBE_UNPIN_USER_FOLIO	"unpin_user_folio"
#define PS_PROBE_UNPIN_FOLIO		"unpin_folio"

/*
 * The deep snapshot's reading (record/deep.c): stable_page_flags(page),
 * which /proc/kpageflags calls once per pfn read, with the folio fields
 * where the layout has them and the page fields; on 6.1 (no folio
 * fields) also the first tail page's flags (tflags) and its
 * compound_mapcount/compound_pincount (cmapcount, cpincount), valid
 * only when pflags has PG_head.
 */
#define PS_PROBE_PAGE_READ		"page_read"

#endif /* PAGESTATE_PROBES_H */
