/**
 * The subtree rule in SQL, for every statement: an organization is inside another's subtree
 * when its materialized path (src/db/schema.ts, "/1/12/345/") begins with the other's — one
 * indexed prefix scan. The same rule for loaded objects is the domain's `isWithin`. Paths are
 * digits and slashes only, so nothing needs escaping in the pattern.
 */
import { type SQL, type SQLWrapper, sql } from "drizzle-orm";

/** The organization whose path is `pathColumn` is the one at `path` or lies below it. */
export const within = (pathColumn: SQLWrapper, path: string): SQL =>
  sql`${pathColumn} like ${`${path}%`}`;

/** The organization whose path is `pathColumn` lies below the one at `path`, not at it. */
export const strictlyBelow = (pathColumn: SQLWrapper, path: string): SQL =>
  sql`${pathColumn} like ${`${path}_%`}`;
