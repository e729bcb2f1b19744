/** The organizations table group: how its rows are read as the domain's `OrgNode`. */
import { type SQL, sql } from "drizzle-orm";
import type { BuildAliasTable } from "drizzle-orm/pg-core";
import { organizations } from "../schema.ts";

/** The columns the domain's OrgNode needs, of `organizations` or an alias of it. */
export function orgColumnsOf(
  t: typeof organizations | BuildAliasTable<typeof organizations, string>,
) {
  return {
    id: t.id,
    parentId: t.parentId,
    path: t.path,
    name: t.name,
    kind: t.kind,
    level: t.level,
    domain: t.domain,
    category: t.category,
    institutionCode: t.institutionCode,
    provinceId: t.provinceId,
    isSystemCommittee: t.isSystemCommittee,
    isExternalProvince: t.isExternalProvince,
    graduationMonth: t.graduationMonth,
    graduationUnsetReason: t.graduationUnsetReason,
  };
}

export const orgColumns = orgColumnsOf(organizations);

/**
 * An OrgNode's columns for hand-written statements, over the organization aliased `alias`,
 * named as `orgColumns` names them.
 */
export function orgFields(alias: string): SQL {
  return sql.raw(
    Object.entries(orgColumns)
      .map(([key, column]) => `${alias}.${column.name} as "${key}"`)
      .join(", "),
  );
}

/**
 * An OrgNode as one json column, for hand-written statements: `json_build_object(...)` over the
 * organization aliased `alias`, made from the same column list as `orgColumns`.
 */
export function orgNodeJson(alias: string): SQL {
  const pairs = Object.entries(orgColumns).map(
    ([key, column]) => `'${key}', ${alias}.${column.name}`,
  );
  return sql.raw(`json_build_object(${pairs.join(", ")})`);
}
