/** A page of a keyset scan: rows are read this many at a time, so memory stays bounded. */
export const PAGE_ROWS = 1000;

/** Reads pages until one comes back short; `next` gets the last row of the page before. */
export async function* paged<T>(read: (after: T | null) => Promise<T[]>): AsyncGenerator<T> {
  let after: T | null = null;
  for (;;) {
    const rows = await read(after);
    yield* rows;
    if (rows.length < PAGE_ROWS) return;
    after = rows[rows.length - 1]!;
  }
}
