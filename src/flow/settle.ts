/**
 * Waits for every promise, then rejects with the first failure (if any). Unlike Promise.all it never
 * leaves a branch running unobserved when another branch failed.
 */
export async function settleAll(ps: Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(ps);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}
