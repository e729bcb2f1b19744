/**
 * The organizations an import may name, found by their path of names ("团山西省委/团太原市委/
 * …/XX团支部"). Loaded once per import — the scope's subtree and the chain above it — so a
 * million member rows resolve their few thousand branch paths from memory. A path may start
 * at any organization of the chain or below it; it must name exactly one organization.
 */
import { inArray, or } from "drizzle-orm";
import type { Queryable } from "../../db/client.ts";
import { orgColumns } from "../../db/queries/organizations.ts";
import { within } from "../../db/queries/subtree.ts";
import { organizations } from "../../db/schema.ts";
import { isWithin, type OrgNode, pathIds } from "../../domain/tree.ts";

export type Resolved<T> =
  | { ok: true; org: T }
  | { ok: false; problem: "unknown_path" | "ambiguous_path" | "outside_scope" };

/** An organization the index knows: a stored one, or one an earlier row of the file adds. */
export type IndexedOrg = OrgNode | PendingOrg;

export interface PendingOrg {
  pendingRow: number;
  name: string;
  kind: OrgNode["kind"];
  level: OrgNode["level"];
  /** A pending parent (an earlier row) or a stored one; null for a new root. */
  parent: IndexedOrg | null;
}

const isPending = (o: IndexedOrg): o is PendingOrg => "pendingRow" in o;

export class OrgIndex {
  private readonly children = new Map<IndexedOrg | null, Map<string, IndexedOrg>>();
  private readonly byName = new Map<string, IndexedOrg[]>();
  private readonly byId = new Map<number, OrgNode>();
  private readonly cache = new Map<string, Resolved<IndexedOrg>>();
  /** Hotlines are no part of the domain's OrgNode; an organizations import compares them. */
  readonly hotlines = new Map<number, string | null>();

  constructor(
    orgs: readonly (OrgNode & { hotline: string | null })[],
    /** The subtree rows may touch; null: everything (the operator). */
    readonly scope: OrgNode | null,
  ) {
    for (const o of orgs) {
      this.byId.set(o.id, o);
      this.hotlines.set(o.id, o.hotline);
    }
    for (const o of orgs)
      this.link(o, o.parentId === null ? null : (this.byId.get(o.parentId) ?? null));
  }

  private link(org: IndexedOrg, parent: IndexedOrg | null) {
    const siblings = this.children.get(parent) ?? new Map<string, IndexedOrg>();
    this.children.set(parent, siblings);
    siblings.set(org.name, org);
    const named = this.byName.get(org.name);
    if (named) named.push(org);
    else this.byName.set(org.name, [org]);
  }

  get(id: number): OrgNode | undefined {
    return this.byId.get(id);
  }

  /** The stored organizations above and including this one, root first. */
  chain(org: OrgNode): OrgNode[] {
    return pathIds(org.path)
      .map((id) => this.byId.get(id))
      .filter((o): o is OrgNode => o !== undefined);
  }

  /** Whether rows may touch this organization (inside the scope's subtree). */
  inScope(org: IndexedOrg): boolean {
    if (this.scope === null) return true;
    let stored: IndexedOrg | null = org;
    while (stored && isPending(stored)) stored = stored.parent;
    return stored !== null && isWithin(stored, this.scope);
  }

  /** The committee levels above a (stored or pending) parent, root first. */
  levelsAbove(org: IndexedOrg): OrgNode["level"][] {
    const pending: OrgNode["level"][] = [];
    let at: IndexedOrg | null = org;
    while (at && isPending(at)) {
      pending.unshift(at.level);
      at = at.parent;
    }
    return [...(at ? this.chain(at).map((o) => o.level) : []), ...pending];
  }

  resolve(path: readonly string[]): Resolved<IndexedOrg> {
    const key = path.join("/");
    const cached = this.cache.get(key);
    if (cached) return cached;
    const found: IndexedOrg[] = [];
    for (const start of this.byName.get(path[0]!) ?? []) {
      let at: IndexedOrg | undefined = start;
      for (let i = 1; at && i < path.length; i++) at = this.children.get(at)?.get(path[i]!);
      if (at) found.push(at);
    }
    const result: Resolved<IndexedOrg> =
      found.length === 0
        ? { ok: false, problem: "unknown_path" }
        : found.length > 1
          ? { ok: false, problem: "ambiguous_path" }
          : this.inScope(found[0]!)
            ? { ok: true, org: found[0]! }
            : { ok: false, problem: "outside_scope" };
    this.cache.set(key, result);
    return result;
  }

  /** A stored organization only (a member's branch, an admin's organization). */
  resolveStored(path: readonly string[]): Resolved<OrgNode> {
    const r = this.resolve(path);
    if (!r.ok) return r;
    return isPending(r.org) ? { ok: false, problem: "unknown_path" } : { ok: true, org: r.org };
  }

  /** Adds an organization an earlier row of the file creates, so later rows can name it. */
  addPending(org: PendingOrg): void {
    this.link(org, org.parent);
    this.cache.clear();
  }
}

export { isPending };

/** The index for an import into this scope (null: the whole tree). */
export async function loadOrgIndex(tx: Queryable, scope: OrgNode | null): Promise<OrgIndex> {
  const columns = { ...orgColumns, hotline: organizations.hotline };
  const rows = scope
    ? await tx
        .select(columns)
        .from(organizations)
        .where(
          or(
            within(organizations.path, scope.path),
            inArray(organizations.id, pathIds(scope.path)),
          ),
        )
    : await tx.select(columns).from(organizations);
  return new OrgIndex(rows, scope);
}
