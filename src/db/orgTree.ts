import { eq } from "drizzle-orm";
import type { Tx } from "./client.ts";
import { organizations } from "./schema.ts";

export type NewOrganization = Omit<
  typeof organizations.$inferInsert,
  "id" | "path" | "provinceId" | "parentId" | "createdAt"
> & { parentId: number | null; provinceId?: number | null };

/**
 * Inserts an organization under its parent, deriving the materialized path and the
 * provincial-level root (a root at provincial level is its own province).
 */
export async function createOrganization(tx: Tx, values: NewOrganization) {
  const parent = values.parentId
    ? (
        await tx
          .select({ path: organizations.path, provinceId: organizations.provinceId })
          .from(organizations)
          .where(eq(organizations.id, values.parentId))
      )[0]
    : undefined;
  if (values.parentId && !parent)
    throw new Error(`createOrganization: no parent ${values.parentId}`);
  const [row] = await tx
    .insert(organizations)
    .values({ ...values, path: "", provinceId: values.provinceId ?? parent?.provinceId ?? null })
    .returning({ id: organizations.id });
  const id = row!.id;
  const path = `${parent?.path ?? "/"}${id}/`;
  const provinceId =
    values.provinceId ?? parent?.provinceId ?? (values.level === "provincial" ? id : null);
  const [created] = await tx
    .update(organizations)
    .set({ path, provinceId })
    .where(eq(organizations.id, id))
    .returning();
  return created!;
}
