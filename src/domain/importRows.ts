/**
 * The rules an imported row must pass (SPEC §7), as plain functions: finding the header row and
 * its columns, reading each cell, and the checks that need the row's organization (R2, R6, R9,
 * R31, R1, levels). No I/O: the import service resolves paths and asks here.
 */
import { leavesLeagueByAge } from "./filing.ts";
import {
  graduationMonthProblem,
  isStrictlyLaterMonth,
  isValidMonth,
  parseMonth,
} from "./graduation.ts";
import { type IdNumberError, parseIdNumber } from "./idNumber.ts";
import vocabulary from "./importVocabulary.json" with { type: "json" };
import type { MemberIdentity } from "./member.ts";
import {
  type GraduationUnsetReason,
  ORG_LEVELS,
  type OrgCategory,
  type OrgDomain,
  type OrgKind,
  type OrgLevel,
} from "./organization.ts";
import { checkFlowBranchCreation } from "./permissions.ts";
import type { OrgNode } from "./tree.ts";

export const IMPORT_KINDS = ["organizations", "members", "admins"] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

type Columns = typeof vocabulary.columns;
export type ColumnKey<K extends ImportKind = ImportKind> = keyof Columns[K] & string;

/** The columns a file of each kind must have. */
export const REQUIRED_COLUMNS: { [K in ImportKind]: ColumnKey<K>[] } = {
  members: ["name", "idNumber", "branch"],
  organizations: ["path", "kind"],
  admins: ["org", "name"],
};

/** Every column of a kind, in template order. */
export function columnsOf<K extends ImportKind>(kind: K): ColumnKey<K>[] {
  return Object.keys(vocabulary.columns[kind]) as ColumnKey<K>[];
}

export type CellValue = string | number | null;

const HEADER_MARKS = new RegExp(`\\((${vocabulary.headerMarks.join("|")})\\)`, "gi");

/** Header text as people write it: spaces, "*" marks of required columns, full-width brackets. */
export function normalHeader(text: CellValue): string {
  if (text === null) return "";
  return String(text)
    .replace(/[（]/g, "(")
    .replace(/[）]/g, ")")
    .replace(HEADER_MARKS, "")
    .replace(/[\s*＊:：]/g, "")
    .toLowerCase();
}

const ALIASES = new Map<ImportKind, Map<string, string>>(
  IMPORT_KINDS.map((kind) => [
    kind,
    new Map(
      Object.entries(vocabulary.columns[kind] as Record<string, string[]>).flatMap(([key, names]) =>
        names.map((n) => [normalHeader(n), key] as [string, string]),
      ),
    ),
  ]),
);

export interface HeaderMatch {
  kind: ImportKind;
  /** Cell index of each column found. */
  columns: Partial<Record<string, number>>;
}

/**
 * The kind of file this row heads, and where its columns are; null when it is no header row
 * (a title row, an empty row, data). A row heads a kind when every required column is there;
 * of several kinds the one with the most columns found wins (a member list also has a branch
 * column that an admin list would call its organization).
 */
export function matchHeader(cells: readonly CellValue[], only?: ImportKind): HeaderMatch | null {
  let best: HeaderMatch | null = null;
  let bestCount = 0;
  for (const kind of only ? [only] : IMPORT_KINDS) {
    const aliases = ALIASES.get(kind)!;
    const columns: Record<string, number> = {};
    cells.forEach((cell, i) => {
      const key = aliases.get(normalHeader(cell));
      if (key && columns[key] === undefined) columns[key] = i;
    });
    const complete = (REQUIRED_COLUMNS[kind] as string[]).every((k) => columns[k] !== undefined);
    const count = Object.keys(columns).length;
    if (complete && count > bestCount) {
      best = { kind, columns };
      bestCount = count;
    }
  }
  return best;
}

/** How many rows from the top may hold titles and notes before the header. */
export const HEADER_SEARCH_ROWS = 30;

// Row problems

export type ImportRowProblem =
  | "required"
  | "too_long"
  | "id_numeric"
  | IdNumberError
  | "invalid_month"
  | "month_before_season"
  | "unknown_value"
  | "unknown_path"
  | "ambiguous_path"
  | "outside_scope"
  | "not_a_branch"
  | "graduate_branch"
  | "system_branch"
  | "month_not_mixed"
  | "delayed_needs_month"
  | "delayed_reason_required"
  | "delayed_not_later"
  | "ages_out"
  | "duplicate_in_file"
  | "exists_elsewhere"
  | "exists_in"
  | "lookup_limit"
  | "has_applications"
  | "invalid_phone"
  | "parent_unknown"
  | "parent_is_branch"
  | "level_not_below_parent"
  | "level_not_committee"
  | "code_not_school"
  | "month_not_branch"
  | "month_and_reason"
  | "kind_changed"
  | "use_change_request"
  | "flow_branch_creator"
  | "flow_branch_name"
  | "root_not_allowed";

export interface RowProblem {
  column: string;
  problem: ImportRowProblem;
  /** Values the message shows: the other row of a duplicate, where a member is, a limit. */
  detail?: Record<string, string | number>;
}

type Parsed<T> = { ok: true; value: T } | ({ ok: false } & RowProblem);
const problem = (column: string, p: ImportRowProblem, detail?: RowProblem["detail"]) =>
  ({ ok: false, column, problem: p, ...(detail ? { detail } : {}) }) as const;

export const MAX_NAME = 50;
export const MAX_PATH = 500;
export const MAX_TEXT = 200;

/** A cell's text, trimmed; numbers as Excel would show a whole number. */
export function cellText(cell: CellValue | undefined): string {
  if (cell === null || cell === undefined) return "";
  return typeof cell === "number" ? String(cell) : cell.trim();
}

const EXCEL_EPOCH_MS = Date.UTC(1899, 11, 30);

/**
 * A graduation month from a cell: typed text ("2026-06", "2026年6月", "2026/6/30", "202606")
 * or a number (202606, or an Excel date). Null when empty, "invalid" when it is no month.
 */
export function monthOfCell(cell: CellValue | undefined): string | null | "invalid" {
  if (cell === null || cell === undefined || cell === "") return null;
  if (typeof cell === "number") {
    if (Number.isInteger(cell) && cell >= 190001 && cell <= 219912) {
      const month = `${String(cell).slice(0, 4)}-${String(cell).slice(4)}`;
      return isValidMonth(month) ? month : "invalid";
    }
    if (cell > 0 && cell < 100000) {
      const date = new Date(EXCEL_EPOCH_MS + Math.floor(cell) * 86400_000);
      return `${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, "0")}`;
    }
    return "invalid";
  }
  const text = cell.trim();
  if (text === "") return null;
  const compact = /^(\d{4})(\d{2})$/.exec(text);
  if (compact)
    return isValidMonth(`${compact[1]}-${compact[2]}`) ? `${compact[1]}-${compact[2]}` : "invalid";
  const { year, month: monthWord, day } = vocabulary.dateParts;
  const dashed = text.replaceAll(year, "-").replaceAll(monthWord, "-").replaceAll(day, "");
  const full = /^(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})\s*(\s.*)?$/.exec(dashed);
  if (full) {
    const month = `${full[1]}-${full[2]!.padStart(2, "0")}`;
    return isValidMonth(month) ? month : "invalid";
  }
  return parseMonth(text) ?? "invalid";
}

/** An organization path: its names, root first ("团山西省委/团太原市委/…/XX团支部"). */
export function parsePath(text: string): readonly string[] | null {
  const known = parsedPaths.get(text);
  if (known !== undefined) return known;
  if (parsedPaths.size >= MAX_PARSED_PATHS) parsedPaths.clear();
  const path = splitPath(text);
  parsedPaths.set(text, path);
  return path;
}

/**
 * A roster names the same few branch paths on every row: each text is split once (a million
 * rows spent 9 s here). Frozen, since every row of the path shares the one array.
 */
const parsedPaths = new Map<string, readonly string[] | null>();
const MAX_PARSED_PATHS = 10_000;

function splitPath(text: string): readonly string[] | null {
  if (text === "" || text.length > MAX_PATH) return null;
  let parts = [text];
  for (const sep of vocabulary.pathSeparators) parts = parts.flatMap((p) => p.split(sep));
  const names = parts.map((p) => p.trim()).filter((p) => p !== "");
  return names.length > 0 && names.every((n) => n.length <= MAX_NAME) ? Object.freeze(names) : null;
}

function wordMap<T extends string>(table: Record<T, string[]>): Map<string, T> {
  return new Map(
    (Object.entries(table) as [T, string[]][]).flatMap(([value, words]) =>
      words.map((w) => [normalHeader(w), value] as [string, T]),
    ),
  );
}
const KINDS = wordMap<OrgKind>(vocabulary.kinds);
const LEVELS = wordMap<OrgLevel>(vocabulary.levels);
const DOMAINS = wordMap<OrgDomain>(vocabulary.domains);
const CATEGORIES = wordMap<Exclude<OrgCategory, "special_unit_library">>(vocabulary.categories);
const UNSET_REASONS = wordMap<GraduationUnsetReason>(vocabulary.unsetReasons);
const IDENTITIES = wordMap<MemberIdentity>(vocabulary.identities);

function word<T>(map: Map<string, T>, cell: CellValue | undefined, column: string): Parsed<T> {
  const value = map.get(normalHeader(cellText(cell)));
  return value === undefined
    ? problem(column, "unknown_value", { value: cellText(cell).slice(0, MAX_NAME) })
    : { ok: true, value };
}

type Row = readonly CellValue[];
const at = (cells: Row, columns: HeaderMatch["columns"], key: string) => {
  const i = columns[key];
  return i === undefined ? null : (cells[i] ?? null);
};

function nameIn(cells: Row, columns: HeaderMatch["columns"], key: string): Parsed<string> {
  const name = cellText(at(cells, columns, key));
  if (name === "") return problem(key, "required");
  if (name.length > MAX_NAME) return problem(key, "too_long", { max: MAX_NAME });
  return { ok: true, value: name };
}

function pathIn(
  cells: Row,
  columns: HeaderMatch["columns"],
  key: string,
): Parsed<readonly string[]> {
  const text = cellText(at(cells, columns, key));
  if (text === "") return problem(key, "required");
  const path = parsePath(text);
  return path ? { ok: true, value: path } : problem(key, "too_long", { max: MAX_PATH });
}

function optionalText(
  cells: Row,
  columns: HeaderMatch["columns"],
  key: string,
): Parsed<string | null> {
  const text = cellText(at(cells, columns, key));
  if (text.length > MAX_TEXT) return problem(key, "too_long", { max: MAX_TEXT });
  return { ok: true, value: text === "" ? null : text };
}

/**
 * An ID number cell: text only. A numeric cell has kept 15 significant digits, so its last 3
 * are already lost (R4); the message says so and how to keep the column as text.
 */
export function idNumberOfCell(
  cell: CellValue | undefined,
):
  | { ok: true; idNumber: string; birthDate: string }
  | { ok: false; problem: "required" | "id_numeric" | IdNumberError } {
  if (cell === null || cell === undefined || cell === "") return { ok: false, problem: "required" };
  if (typeof cell === "number") return { ok: false, problem: "id_numeric" };
  const parsed = parseIdNumber(cell);
  return parsed.ok
    ? { ok: true, idNumber: parsed.idNumber, birthDate: parsed.birthDate }
    : { ok: false, problem: parsed.error };
}

// Members

export interface MemberRow {
  name: string;
  idNumber: string;
  birthDate: string;
  branchPath: readonly string[];
  identity: MemberIdentity;
  /** The member's own month, when the row gives one. */
  graduationMonth: string | null;
  delayedReason: string | null;
}

export function parseMemberRow(cells: Row, columns: HeaderMatch["columns"]): Parsed<MemberRow> {
  const name = nameIn(cells, columns, "name");
  if (!name.ok) return name;
  const id = idNumberOfCell(at(cells, columns, "idNumber"));
  if (!id.ok) return problem("idNumber", id.problem);
  const branchPath = pathIn(cells, columns, "branch");
  if (!branchPath.ok) return branchPath;
  const identityCell = at(cells, columns, "identity");
  const identity = word(IDENTITIES, identityCell, "identity");
  if (!identity.ok) return identity;
  const month = monthOfCell(at(cells, columns, "graduationMonth"));
  if (month === "invalid") return problem("graduationMonth", "invalid_month");
  const reason = optionalText(cells, columns, "delayedReason");
  if (!reason.ok) return reason;
  return {
    ok: true,
    value: {
      name: name.value,
      idNumber: id.idNumber,
      birthDate: id.birthDate,
      branchPath: branchPath.value,
      identity: identity.value,
      graduationMonth: month,
      delayedReason: reason.value,
    },
  };
}

/**
 * R2: a graduate organization takes no new members (it is made by R7 from the members it had),
 * so an import adds or moves nobody into one; a member already there stays.
 */
export function joinProblem(branch: Pick<OrgNode, "category">): "graduate_branch" | null {
  return branch.category === "graduate" ? "graduate_branch" : null;
}

/** What a member row becomes in its branch: its marks and graduation fields (§3). */
export interface MemberPlacement {
  identity: MemberIdentity;
  graduationMonth: string | null;
  graduationYear: number | null;
  graduationBranchId: number | null;
  delayedReason: string | null;
}

/**
 * The checks of a member row that need its branch: a branch and not a system one; R2 no new
 * member in a graduate organization; R6 a member's own month only in a mixed branch; R9 a
 * delayed graduate's month later than the branch's, with a reason; the month not before the
 * season; R31 28 or older in the graduation month leaves the league instead.
 */
export function placeMember(input: {
  row: MemberRow;
  branch: OrgNode;
  /** The member is in this branch already (a re-import): R2 does not apply. */
  alreadyThere: boolean;
  seasonYear: number;
  today: string;
}): Parsed<MemberPlacement> {
  const { row, branch } = input;
  if (branch.kind !== "branch") return problem("branch", "not_a_branch");
  if (branch.category === "special_unit_library") return problem("branch", "system_branch");
  if (branch.category === "graduate" && !input.alreadyThere)
    return problem("branch", "graduate_branch");
  let month: string | null = null;
  let delayedReason: string | null = null;
  if (row.identity === "delayed") {
    if (!row.graduationMonth) return problem("graduationMonth", "delayed_needs_month");
    if (!row.delayedReason) return problem("delayedReason", "delayed_reason_required");
    if (
      branch.graduationMonth &&
      !isStrictlyLaterMonth(row.graduationMonth, branch.graduationMonth)
    )
      return problem("graduationMonth", "delayed_not_later", {
        branchMonth: branch.graduationMonth,
      });
    month = row.graduationMonth;
    delayedReason = row.delayedReason;
  } else if (row.identity === "graduate") {
    const mixed = branch.graduationUnsetReason === "mixed_branch";
    if (row.graduationMonth && !mixed && row.graduationMonth !== branch.graduationMonth)
      return problem("graduationMonth", "month_not_mixed");
    month = mixed ? row.graduationMonth : branch.graduationMonth;
  }
  if (month && row.graduationMonth === month) {
    const monthProblem = graduationMonthProblem(month, input.seasonYear);
    if (monthProblem) return problem("graduationMonth", monthProblem);
  }
  if (
    leavesLeagueByAge({
      identity: row.identity,
      birthDate: row.birthDate,
      graduationMonth: month,
      today: input.today,
    })
  )
    return problem("idNumber", "ages_out");
  return {
    ok: true,
    value: {
      identity: row.identity,
      graduationMonth: month,
      graduationYear: month ? Number(month.slice(0, 4)) : null,
      graduationBranchId: month ? branch.id : null,
      delayedReason,
    },
  };
}

// Organizations

export interface OrgRow {
  path: readonly string[];
  kind: OrgKind;
  level: OrgLevel;
  domain: OrgDomain;
  category: Exclude<OrgCategory, "special_unit_library">;
  institutionCode: string | null;
  hotline: string | null;
  graduationMonth: string | null;
  graduationUnsetReason: GraduationUnsetReason | null;
}

const PHONE = /^\+?[\d][\d\s()-]{5,23}$/;

export function parseOrgRow(cells: Row, columns: HeaderMatch["columns"]): Parsed<OrgRow> {
  const path = pathIn(cells, columns, "path");
  if (!path.ok) return path;
  const kind = word(KINDS, at(cells, columns, "kind"), "kind");
  if (!kind.ok) return kind;
  const level = word(LEVELS, at(cells, columns, "level"), "level");
  if (!level.ok) return level;
  const domain = word(DOMAINS, at(cells, columns, "domain"), "domain");
  if (!domain.ok) return domain;
  const category = word(CATEGORIES, at(cells, columns, "category"), "category");
  if (!category.ok) return category;
  const code = optionalText(cells, columns, "institutionCode");
  if (!code.ok) return code;
  const hotline = optionalText(cells, columns, "hotline");
  if (!hotline.ok) return hotline;
  if (hotline.value && !PHONE.test(hotline.value)) return problem("hotline", "invalid_phone");
  const month = monthOfCell(at(cells, columns, "graduationMonth"));
  if (month === "invalid") return problem("graduationMonth", "invalid_month");
  const unsetCell = at(cells, columns, "graduationUnsetReason");
  const unset =
    cellText(unsetCell) === "" ? null : word(UNSET_REASONS, unsetCell, "graduationUnsetReason");
  if (unset && !unset.ok) return unset;
  const row: OrgRow = {
    path: path.value,
    kind: kind.value,
    level: level.value,
    domain: domain.value,
    category: category.value,
    institutionCode: code.value,
    hotline: hotline.value,
    graduationMonth: month,
    graduationUnsetReason: unset ? unset.value : null,
  };
  if (row.level !== "none" && row.kind !== "committee" && row.kind !== "working_committee")
    return problem("level", "level_not_committee");
  if (row.institutionCode && row.domain !== "school")
    return problem("institutionCode", "code_not_school");
  if ((row.graduationMonth || row.graduationUnsetReason) && row.kind !== "branch")
    return problem("graduationMonth", "month_not_branch");
  if (row.graduationMonth && row.graduationUnsetReason)
    return problem("graduationUnsetReason", "month_and_reason");
  return { ok: true, value: row };
}

const levelRank = (level: OrgLevel) => ORG_LEVELS.indexOf(level);

/**
 * The checks of a new or changed organization that need its parent: a branch has no children;
 * a committee's level is below every level above it (an import cannot make a leading organ
 * above its own); R1 flow branches; R6 the month not before the season.
 */
export function placeOrganization(input: {
  row: OrgRow;
  /** A stored organization, or one an earlier row adds (name, kind and level only). */
  parent: Pick<OrgNode, "kind" | "level"> & Partial<OrgNode>;
  /** The nearest committee level above (the parent's, or its ancestors'). */
  levelAbove: OrgLevel;
  seasonYear: number;
}): RowProblem | null {
  const { row, parent } = input;
  if (parent.kind === "branch") return { column: "path", problem: "parent_is_branch" };
  if (row.level !== "none" && levelRank(row.level) <= levelRank(input.levelAbove))
    return { column: "level", problem: "level_not_below_parent" };
  if (row.category === "flow_branch") {
    // A parent added by the same file has no institution code on record yet: R1 needs one.
    const creator = { domain: "other", institutionCode: null, ...parent } as OrgNode;
    const flow = checkFlowBranchCreation(creator, row.path.at(-1)!);
    if (!flow.ok) return { column: "category", problem: flow.reason };
  }
  if (row.graduationMonth) {
    const p = graduationMonthProblem(row.graduationMonth, input.seasonYear);
    if (p) return { column: "graduationMonth", problem: p };
  }
  return null;
}

/** A level's rank is compared across a chain: the nearest committee level above wins. */
export function nearestLevel(chain: readonly Pick<OrgNode, "level">[]): OrgLevel {
  for (let i = chain.length - 1; i >= 0; i--)
    if (chain[i]!.level !== "none") return chain[i]!.level;
  return "none";
}

// Admins

export interface AdminRow {
  orgPath: readonly string[];
  name: string;
  phone: string | null;
}

export function parseAdminRow(cells: Row, columns: HeaderMatch["columns"]): Parsed<AdminRow> {
  const orgPath = pathIn(cells, columns, "org");
  if (!orgPath.ok) return orgPath;
  const name = nameIn(cells, columns, "name");
  if (!name.ok) return name;
  const phone = cellText(at(cells, columns, "phone"));
  if (phone !== "" && !PHONE.test(phone)) return problem("phone", "invalid_phone");
  return { ok: true, value: { orgPath: orgPath.value, name: name.value, phone: phone || null } };
}

// Imports as a whole

/** What an import does with a row. */
export type ImportAction = "add" | "change" | "move" | "same" | "refused";

/** An import's life: read and classified, then applied, cancelled or (after applying) undone. */
export type ImportState = "reading" | "previewed" | "applied" | "cancelled" | "undone";

export type ImportCounts = Record<ImportAction, number> & { rows: number };
