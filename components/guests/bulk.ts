// Runs one request per selected guest, a few at a time, and sums up how it went.
export async function runBulk<T>(
  items: T[],
  run: (item: T) => Promise<unknown>,
  concurrency = 16,
): Promise<{ ok: number; failed: { item: T; error: string }[] }> {
  let next = 0;
  let ok = 0;
  const failed: { item: T; error: string }[] = [];
  async function worker() {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await run(item);
        ok++;
      } catch (e) {
        failed.push({ item, error: e instanceof Error ? e.message : String(e) });
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return { ok, failed };
}
