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
 *   pagestate: pageflags <name>=<bit> ...     (enum pageflags, by name,
 *       aliases included: mappedtodisk and anon_exclusive share a bit)
 *
 * Offsets are decimal byte offsets into struct page; compound_* are
 * offsets into the FIRST TAIL page (page + struct_page bytes), as on 6.1
 * (folio->_entire_mapcount / _pincount on later kernels: same place).
 * pfn = (page - vmemmap_base) / struct_page.
 *
 * Fields every per-page probe fetches, for its struct page *argument:
 *   page      the struct page pointer (x64)
 *   pflags    page->flags (x64)
 *   mapcount  page->_mapcount (s32, -1 when unmapped)
 *   refcount  page->_refcount (s32)
 * All values are read at function entry, i.e. BEFORE the function acts.
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
 *                                                       addr (x64)
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
 *                                                       pmdval (x64: *src_pmd), addr (x64)
 * copy_huge_pmd_ret    kretprobe of the same            ret (s32): 0 when the PMD was
 *                                                       shared with the child
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
#define PS_PROBE_COPY_HUGE_PMD		"copy_huge_pmd"
#define PS_PROBE_COPY_HUGE_PMD_RET	"copy_huge_pmd_ret"

#endif /* PAGESTATE_PROBES_H */
