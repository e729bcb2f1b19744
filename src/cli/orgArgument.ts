/**
 * The `--org` argument of the command-line tools: an id, an exact name or part of one. What is
 * not one organization is explained in one message — the candidates with their ids and parents,
 * or near matches — so the next try can be exact.
 */
import type { Db } from "../db/client.ts";
import type { translator } from "../i18n.ts";
import { lookupOrganization, type OrgMatch } from "../services/orgLookup.ts";

type T = ReturnType<typeof translator>;

function matchLines(t: T, matches: OrgMatch[], total: number): string[] {
  const lines = matches.map((m) =>
    m.parentName
      ? t("digest:cli.match", { id: m.id, name: m.name, parent: m.parentName })
      : t("digest:cli.matchRoot", { id: m.id, name: m.name }),
  );
  if (total > matches.length)
    lines.push(t("digest:cli.moreMatches", { count: total - matches.length }));
  return lines;
}

export async function organizationArgument(
  db: Db,
  query: string,
  t: T,
): Promise<{ ok: true; org: OrgMatch } | { ok: false; message: string }> {
  const found = await lookupOrganization(db, query);
  if (found.kind === "found") return { ok: true, org: found.org };
  if (found.kind === "ambiguous") {
    const lines = [
      t("digest:cli.ambiguous", { query, count: found.total }),
      ...matchLines(t, found.candidates, found.total),
      t("digest:cli.retryWithId"),
    ];
    return { ok: false, message: lines.join("\n") };
  }
  const lines = [t("digest:cli.unknownOrg", { query })];
  if (found.candidates.length > 0) {
    lines.push(
      t("digest:cli.nearMatches"),
      ...matchLines(t, found.candidates, found.total),
      t("digest:cli.retryWithId"),
    );
  } else lines.push(t("digest:cli.howToFind"));
  return { ok: false, message: lines.join("\n") };
}
