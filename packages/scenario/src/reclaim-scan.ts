/**
 * A reclaim that only scans: which pages the next reclaim would look at, in
 * the order it would look, whether each was referenced since the last scan
 * and is dirty, and what the installed reclaim policy (the reclaimDecision
 * hook) decides for it, given the kernel's own description of the page
 * (kernel.reclaimCandidate) — with nothing changed. No accessed bit or
 * PG_referenced is cleared, no page moves between the LRU lists, nothing is
 * written to swap or freed.
 *
 * It reads the inactive list as it stands. A real reclaim first refills that
 * list from the active one when it runs short, and clears each page's
 * accessed bits and PG_referenced as it tests them (folio_check_references), so two real reclaims in
 * a row differ where two scans do not.
 */
import { type Kernel, PageFlag, type ReclaimCheck } from '@faultline/vm-core';

export interface ScannedPage {
  readonly pfn: number;
  /** An accessed bit is set in a PTE that maps it. */
  readonly referenced: boolean;
  /** It differs from its copy on disk or in swap (or has none): reclaiming it means writing it. */
  readonly dirty: boolean;
  /** A page-cache page of a file (written back to the file, not to swap). */
  readonly file: boolean;
  readonly decision: 'reclaim' | 'activate' | 'keep';
  /**
   * For a page the policy would reclaim: whether the kernel would then free
   * it, or why not (Kernel.reclaimCheck — pinned, no swap, swap full); a
   * page it would not free is rotated and stays. Null for other decisions.
   */
  readonly kept: Exclude<ReclaimCheck, { frees: true }>['why'] | null;
}

/** Scans the inactive list from its oldest page until `pages` would be freed or the list ends. */
export function scanForReclaim(kernel: Kernel, pages: number): ScannedPage[] {
  const out: ScannedPage[] = [];
  let victims = 0;
  // Swap slots the pages counted so far would take: the next page sees fewer free.
  let slotsTaken = 0;
  for (const pfn of kernel.lru.members('inactive')) {
    if (victims >= pages) break;
    const candidate = kernel.reclaimCandidate(pfn);
    const { referenced, dirty } = candidate;
    const decision = kernel.hooks.reclaimDecision(kernel.api, candidate);
    let kept: ScannedPage['kept'] = null;
    if (decision === 'reclaim') {
      const check = kernel.reclaimCheck(pfn, slotsTaken);
      if (check.frees) {
        victims++;
        if (check.swapSlot) slotsTaken++;
      } else kept = check.why;
    }
    out.push({ pfn, referenced, dirty, file: kernel.frames.has(pfn, PageFlag.File), decision, kept });
  }
  return out;
}

/** Would the kernel free this scanned page? */
export function wouldFree(page: ScannedPage): boolean {
  return page.decision === 'reclaim' && page.kept === null;
}
