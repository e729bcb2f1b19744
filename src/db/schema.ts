/**
 * The whole domain store of SPEC.md. This file is the single source of truth: migrations in
 * `migrations/` are generated from it by drizzle-kit (`npm run db:generate`).
 */
import { sql } from "drizzle-orm";
import {
  type AnyPgColumn,
  bigint,
  bigserial,
  boolean,
  check,
  date,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  serial,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from "drizzle-orm/pg-core";
import type {
  AddressKind,
  ApplicationState,
  HistoryAction,
  InitiatorKind,
  StudyType,
  TransferReason,
} from "../domain/application.ts";
import type { ImportAction, ImportCounts, ImportKind, ImportState } from "../domain/importRows.ts";
import { DEAD_STATES, type Indicator } from "../domain/indicators.ts";
import { OPEN_STATES } from "../domain/lifecycle.ts";
import type { MemberIdentity } from "../domain/member.ts";
import type {
  GraduationUnsetReason,
  OrgCategory,
  OrgDomain,
  OrgKind,
  OrgLevel,
} from "../domain/organization.ts";

const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();

/**
 * The organization tree. `path` is the materialized path of ids from the root, "/1/12/345/",
 * so a subtree is one indexed prefix scan (`path LIKE '/1/12/%'`).
 */
export const organizations = pgTable(
  "organizations",
  {
    id: serial("id").primaryKey(),
    parentId: integer("parent_id").references((): AnyPgColumn => organizations.id),
    path: text("path").notNull(),
    name: text("name").notNull(),
    kind: text("kind").$type<OrgKind>().notNull(),
    level: text("level").$type<OrgLevel>().notNull().default("none"),
    domain: text("domain").$type<OrgDomain>().notNull().default("other"),
    category: text("category").$type<OrgCategory>().notNull().default("normal"),
    /** 学校机构编号, only on school-domain committees (R1). */
    institutionCode: text("institution_code"),
    /**
     * The provincial-level root this organization belongs to: a provincial committee or one of
     * the five system committees (M1.4.5). Equal to `id` on those roots.
     */
    provinceId: integer("province_id").references((): AnyPgColumn => organizations.id),
    /** True on the five system committees (全国铁道, 全国民航, 中央金融, 中央企业, 中央和国家机关). */
    isSystemCommittee: boolean("is_system_committee").notNull().default(false),
    /** True on Beijing, Guangdong and Fujian, which run separate systems (external transfers). */
    isExternalProvince: boolean("is_external_province").notNull().default(false),
    hotline: text("hotline"),
    /** Expected graduation month of a branch, "YYYY-MM" (R6). */
    graduationMonth: text("graduation_month"),
    /** Why a branch has no graduation month (R6). */
    graduationUnsetReason: text("graduation_unset_reason").$type<GraduationUnsetReason>(),
    /** When the branch became a graduate organization (R7). */
    convertedAt: timestamp("converted_at", { withTimezone: true }),
    /** The school committee an overseas / flow / delayed-graduation branch serves. */
    schoolId: integer("school_id").references((): AnyPgColumn => organizations.id),
    /** The import that added it (SPEC §7), so undoing that import can remove it. */
    importId: integer("import_id").references((): AnyPgColumn => imports.id),
    /** Issue 20: a leading organ switched batch approval off for its whole region. */
    batchApprovalOff: boolean("batch_approval_off").notNull().default(false),
    /**
     * R3: an emptied graduate organization its superior deleted. The row stays: members'
     * graduation branch, applications and history still name it.
     */
    deletedAt: timestamp("deleted_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    index("organizations_parent_idx").on(t.parentId),
    index("organizations_path_idx").using("btree", t.path.op("text_pattern_ops")),
    index("organizations_province_name_idx").on(t.provinceId, t.name),
    index("organizations_category_idx").on(t.category),
  ],
);

/** People bound to an organization as its administrators. */
export const admins = pgTable(
  "admins",
  {
    id: serial("id").primaryKey(),
    orgId: integer("org_id")
      .notNull()
      .references(() => organizations.id),
    name: text("name").notNull(),
    phone: text("phone"),
    /** The import that added it (SPEC §7). */
    importId: integer("import_id").references((): AnyPgColumn => imports.id),
    /**
     * Issue 20.3: removed by a superior's admin (admins change every June). The row stays for
     * the history's names; a removed admin acts nowhere and is listed nowhere.
     */
    removedAt: timestamp("removed_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index("admins_org_idx").on(t.orgId)],
);

/**
 * League members. The ID number is sealed (R4): `id_sealed` holds it encrypted, `id_hash` its
 * keyed hash to find a member by; both are written and read through src/db/sealing.ts only.
 * The birth date is part of the number and stored nowhere else.
 */
export const members = pgTable(
  "members",
  {
    id: serial("id").primaryKey(),
    name: text("name").notNull(),
    /** Keyed hash of the normalised ID number (`idNumberHash`). */
    idHash: text("id_hash"),
    /** The ID number, sealed (`sealIdNumbers` / `openIdNumber`). */
    idSealed: text("id_sealed"),
    /**
     * Plain values of versions before sealing: emptied at start-up by src/db/resealing.ts
     * (a SQL migration cannot hold the key), null on every row after it.
     */
    legacyIdNumber: text("id_number"),
    legacyBirthDate: date("birth_date", { mode: "string" }),
    /** Current branch: the member stays here until a transfer completes (R24). */
    branchId: integer("branch_id")
      .notNull()
      .references(() => organizations.id),
    identity: text("identity").$type<MemberIdentity>().notNull().default("graduate"),
    /** The branch the member graduates from; kept after transfers for the indicators (§5). */
    graduationBranchId: integer("graduation_branch_id").references(() => organizations.id),
    /** "YYYY-MM": the branch's month, or the delayed graduate's own expected date (R9). */
    graduationMonth: text("graduation_month"),
    graduationYear: smallint("graduation_year"),
    delayedReason: text("delayed_reason"),
    /**
     * R31: 28 or older in the graduation month, so leaving the league instead of transferring
     * and counted in no indicator. Kept by `refreshLeagueAge` (src/services/marks.ts) wherever
     * a graduation month is set, so the indicators never do date arithmetic on birth dates.
     */
    agesOut: boolean("ages_out").notNull().default(false),
    /** When a retained (R15) or flow-branch (R14) stay began, for the 5 / 11 month reminders. */
    retainedSince: timestamp("retained_since", { withTimezone: true }),
    /**
     * 失联: the member's organization cannot reach them (issue 21), with the admin's reason.
     * Shown beside them in the leftovers lists; it excludes them from nothing.
     */
    lostContactReason: text("lost_contact_reason"),
    lostContactAt: timestamp("lost_contact_at", { withTimezone: true }),
    /**
     * The member's outcome (§5) copied from their latest live application, so the indicators
     * read one row per person instead of searching applications for each. Written only by
     * `refreshOutcomes` (src/services/outcomes.ts) in the transaction that changes applications;
     * a derived copy, hence no foreign keys. All null / false while there is no outcome.
     */
    outcomeApplicationId: integer("outcome_application_id"),
    outcomeReason: text("outcome_reason").$type<TransferReason>(),
    outcomeState: text("outcome_state").$type<ApplicationState>(),
    outcomeRetained: boolean("outcome_retained").notNull().default(false),
    /** Where the outcome goes: the assigned branch, else the receiving organization. */
    outcomeDestinationId: integer("outcome_destination_id"),
    /** The import that added it (SPEC §7): undone while the member has done nothing yet. */
    importId: integer("import_id").references((): AnyPgColumn => imports.id),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("members_id_hash_uq").on(t.idHash),
    check(
      "members_id_sealed_ck",
      sql`(${t.idHash} is not null and ${t.idSealed} is not null) or ${t.legacyIdNumber} is not null`,
    ),
    index("members_branch_idx").on(t.branchId),
    index("members_graduation_idx").on(t.graduationYear, t.graduationBranchId),
    // A small region's rates read the people going to it from here (src/services/rates.ts);
    // members without an outcome (an import's million) are not in it.
    index("members_destination_idx")
      .on(t.graduationYear, t.outcomeDestinationId)
      .where(sql`${t.outcomeDestinationId} is not null`),
    index("members_name_idx").on(t.name),
    index("members_import_idx").on(t.importId),
    // The leftovers lists (src/services/leftovers.ts) run in every digest: the few members in
    // a flow branch are found from this index, not by reading every member.
    index("members_retained_idx").on(t.retainedSince).where(sql`${t.retainedSince} is not null`),
  ],
);

/** A chat user known to the bot: one channel account bound to a member or an admin. */
export const chatIdentities = pgTable(
  "chat_identities",
  {
    id: serial("id").primaryKey(),
    channel: text("channel").notNull(),
    externalUserId: text("external_user_id").notNull(),
    memberId: integer("member_id").references(() => members.id),
    adminId: integer("admin_id").references(() => admins.id),
    locale: text("locale"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("chat_identities_user_uq").on(t.channel, t.externalUserId),
    index("chat_identities_member_idx").on(t.memberId),
    index("chat_identities_admin_idx").on(t.adminId),
  ],
);

/** Open applications, written out: a partial index's predicate must match its queries' text. */
const OPEN_PREDICATE = sql.raw(`state in (${OPEN_STATES.map((s) => `'${s}'`).join(", ")})`);

/** Transfer applications (组织关系转接申请) with every reason-specific field (R12). */
export const applications = pgTable(
  "applications",
  {
    id: serial("id").primaryKey(),
    memberId: integer("member_id")
      .notNull()
      .references(() => members.id),
    state: text("state").$type<ApplicationState>().notNull(),
    /** When the application entered its current approval stage (R27 counts from here). */
    stageSince: timestamp("stage_since", { withTimezone: true }).notNull(),
    initiatorKind: text("initiator_kind").$type<InitiatorKind>().notNull(),
    initiatorMemberId: integer("initiator_member_id"),
    initiatorAdminId: integer("initiator_admin_id"),
    reason: text("reason").$type<TransferReason>().notNull(),
    /** Destination in Beijing, Guangdong or Fujian (or the member comes from there). */
    external: boolean("external").notNull().default(false),
    fromOrgId: integer("from_org_id")
      .notNull()
      .references(() => organizations.id),
    /** Receiving organization; null for special-unit transfers (R17) and external ones. */
    toOrgId: integer("to_org_id").references(() => organizations.id),
    /** The branch a committee receiver assigned the member to (R22). */
    assignedBranchId: integer("assigned_branch_id").references(() => organizations.id),
    /** The organization whose decision is awaited now (leader, province, receiver). */
    decidingOrgId: integer("deciding_org_id").references(() => organizations.id),
    studyType: text("study_type").$type<StudyType>(),
    schoolName: text("school_name"),
    schoolAddress: text("school_address"),
    employerName: text("employer_name"),
    employerAddress: text("employer_address"),
    address: text("address"),
    addressKind: text("address_kind").$type<AddressKind>(),
    /** "Not placed" member keeps the relation in the school's flow branch (R15). */
    retainAtSchool: boolean("retain_at_school").notNull().default(false),
    externalOrgName: text("external_org_name"),
    externalOrgAddress: text("external_org_address"),
    externalOrgDetails: text("external_org_details"),
    under16Explanation: text("under16_explanation"),
    graduationYear: smallint("graduation_year"),
    decidedByAdminId: integer("decided_by_admin_id"),
    decidedAt: timestamp("decided_at", { withTimezone: true }),
    rejectReason: text("reject_reason"),
    /** Issue 20.4: the rejected (or returned) application this one was refiled from. */
    refiledFromId: integer("refiled_from_id").references((): AnyPgColumn => applications.id),
    createdAt: createdAt(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("applications_deciding_state_idx").on(t.decidingOrgId, t.state, t.stageSince),
    index("applications_member_idx").on(t.memberId, t.createdAt),
    index("applications_to_org_idx").on(t.toOrgId),
    index("applications_state_stage_idx").on(t.state, t.stageSince),
    // R29's region view: open applications oldest first, so its first page stops after a page
    // instead of sorting every open application below a province. The same literal list as
    // the view's query (src/services/regionQueue.ts), or the planner would not pick it.
    index("applications_open_age_idx").on(t.stageSince, t.id).where(OPEN_PREDICATE),
    // Its summary: the open applications by deciding organization, read from this small index
    // alone; without it the planner merge-joined the organizations with the index of every
    // application by deciding organization (6.5M applications, 100,000 open: over 300 ms).
    index("applications_open_deciding_idx")
      .on(t.decidingOrgId, t.state, t.stageSince)
      .where(OPEN_PREDICATE),
    index("applications_year_idx").on(t.graduationYear),
    // §7's count of completed transfers to enter in 智慧团建, in every bound chat's digest: by
    // the organizations it leaves and enters, instead of every completed transfer each time.
    index("applications_completed_from_idx").on(t.fromOrgId).where(sql`state = 'completed'`),
    index("applications_completed_to_idx").on(t.toOrgId).where(sql`state = 'completed'`),
    index("applications_completed_assigned_idx")
      .on(t.assignedBranchId)
      .where(sql`state = 'completed'`),
    // One open application per member at a time, enforced by the database so racing filings
    // cannot both succeed.
    uniqueIndex("applications_one_open_per_member_uq").on(t.memberId).where(OPEN_PREDICATE),
    // Indicators (§5): a member's outcome is their latest live application; this index yields
    // it in member order from the index alone. Its predicate is the same literal list the
    // rates query uses, or the planner would not pick it.
    index("applications_outcome_idx")
      .on(t.memberId, t.id.desc())
      .where(sql.raw(`state not in (${DEAD_STATES.map((s) => `'${s}'`).join(", ")})`)),
  ],
);

/** Append-only history of every application action (R25). */
export const applicationHistory = pgTable(
  "application_history",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    applicationId: integer("application_id")
      .notNull()
      .references(() => applications.id),
    action: text("action").$type<HistoryAction>().notNull(),
    actorKind: text("actor_kind").$type<"member" | "admin" | "system">().notNull(),
    actorMemberId: integer("actor_member_id"),
    actorAdminId: integer("actor_admin_id"),
    fromState: text("from_state").$type<ApplicationState>(),
    toState: text("to_state").$type<ApplicationState>().notNull(),
    note: text("note"),
    at: timestamp("at", { withTimezone: true }).notNull(),
  },
  (t) => [index("application_history_app_idx").on(t.applicationId, t.id)],
);

/** Append-only history of graduation and identity marks (R6, R9, R10, R25). */
export const markHistory = pgTable(
  "mark_history",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    orgId: integer("org_id"),
    memberId: integer("member_id"),
    action: text("action").notNull(),
    actorAdminId: integer("actor_admin_id"),
    detail: jsonb("detail").$type<Record<string, unknown>>(),
    at: timestamp("at", { withTimezone: true }).notNull(),
  },
  (t) => [
    index("mark_history_org_idx").on(t.orgId),
    index("mark_history_member_idx").on(t.memberId),
  ],
);

/** A change of a graduate organization's graduation month, approved by a leading organ (R8). */
export const graduationChangeRequests = pgTable(
  "graduation_change_requests",
  {
    id: serial("id").primaryKey(),
    branchId: integer("branch_id")
      .notNull()
      .references(() => organizations.id),
    oldMonth: text("old_month"),
    newMonth: text("new_month").notNull(),
    reason: text("reason").notNull(),
    requestedByAdminId: integer("requested_by_admin_id").notNull(),
    /** The leading organ that must approve. */
    approverOrgId: integer("approver_org_id").notNull(),
    state: text("state").$type<"pending" | "approved" | "rejected">().notNull(),
    decidedByAdminId: integer("decided_by_admin_id"),
    decidedAt: timestamp("decided_at", { withTimezone: true }),
    decisionNote: text("decision_note"),
    createdAt: createdAt(),
  },
  (t) => [index("graduation_change_approver_idx").on(t.approverOrgId, t.state)],
);

/** Conversation state per (channel, chat, user), so a dialog resumes after a restart. */
export const dialogStates = pgTable(
  "dialog_states",
  {
    channel: text("channel").notNull(),
    chatId: text("chat_id").notNull(),
    userId: text("user_id").notNull(),
    state: jsonb("state").$type<Record<string, unknown>>().notNull(),
    version: integer("version").notNull().default(0),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.channel, t.chatId, t.userId] })],
);

/**
 * Durable notifications, written in the transaction of the change that caused them and
 * delivered later by the outbox worker. `recipientType` is org, member, admin or chat.
 */
export const outbox = pgTable(
  "outbox",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    event: text("event").notNull(),
    recipientType: text("recipient_type").$type<"org" | "member" | "admin" | "chat">().notNull(),
    recipientId: text("recipient_id").notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    /** Makes a notification idempotent: the same key is never queued twice. */
    dedupeKey: text("dedupe_key"),
    /** `queued` until fan-out has made its deliveries (which retry on their own), then `sent`. */
    status: text("status").$type<"queued" | "sent">().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("outbox_dedupe_uq").on(t.dedupeKey),
    // Fan-out takes the oldest queued events first.
    index("outbox_queued_idx").on(t.id).where(sql`${t.status} = 'queued'`),
  ],
);

/** Keys of platform updates already handled (Telegram update_id, WeCom MsgId, ...). */
export const processedUpdates = pgTable(
  "processed_updates",
  {
    channel: text("channel").notNull(),
    updateKey: text("update_key").notNull(),
    processedAt: timestamp("processed_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.channel, t.updateKey] }),
    // Housekeeping deletes the old keys every day.
    index("processed_updates_at_idx").on(t.processedAt),
  ],
);

/** Daily counts of the indicators per leading organ (§5), one row per org, year and day. */
export const indicatorSnapshots = pgTable(
  "indicator_snapshots",
  {
    orgId: integer("org_id")
      .notNull()
      .references(() => organizations.id),
    graduationYear: smallint("graduation_year").notNull(),
    day: date("day", { mode: "string" }).notNull(),
    a: integer("a").notNull(),
    b: integer("b").notNull(),
    c: integer("c").notNull(),
    d: integer("d").notNull(),
    e: integer("e").notNull(),
    f: integer("f").notNull(),
    /** DW's numerator; null on snapshots taken before DW was recorded. */
    g: integer("g"),
    /** FQ's numerator (initiated); null on snapshots taken before FQ was recorded. */
    initiated: integer("initiated"),
    takenAt: timestamp("taken_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.graduationYear, t.day] })],
);

/**
 * §5 targets a leading organ set for its region and season: one per indicator and due day.
 * The season's defaults (TARGETS) are not stored; see src/domain/targets.ts for inheritance.
 */
export const targets = pgTable(
  "targets",
  {
    orgId: integer("org_id")
      .notNull()
      .references(() => organizations.id),
    graduationYear: smallint("graduation_year").notNull(),
    indicator: text("indicator").$type<Indicator>().notNull(),
    due: date("due", { mode: "string" }).notNull(),
    percent: smallint("percent").notNull(),
    setByAdminId: integer("set_by_admin_id").references(() => admins.id),
    setAt: timestamp("set_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.graduationYear, t.indicator, t.due] }),
    check("targets_percent_ck", sql`${t.percent} between 1 and 100`),
  ],
);

/** One row per job and period: whoever inserts it runs that period (exactly once). */
export const jobRuns = pgTable("job_runs", {
  key: text("key").primaryKey(),
  startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
  finishedAt: timestamp("finished_at", { withTimezone: true }),
});

// Dialogs and bindings

/**
 * One-time binding codes: a person becomes a known member or admin in a chat by redeeming one.
 * Only a keyed hash is stored (src/db/sealing.ts `codeHashes`), so a database leak reveals no
 * usable code. A person has at most one live code: a new one ends the older ones.
 */
export const bindingCodes = pgTable(
  "binding_codes",
  {
    id: serial("id").primaryKey(),
    codeHash: text("code_hash").notNull(),
    kind: text("kind").$type<"member" | "admin">().notNull(),
    memberId: integer("member_id").references(() => members.id),
    adminId: integer("admin_id").references(() => admins.id),
    issuedByAdminId: integer("issued_by_admin_id").references(() => admins.id),
    /** The issuing admin's organization: live codes are capped per organization. */
    issuedByOrgId: integer("issued_by_org_id").references(() => organizations.id),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("binding_codes_hash_uq").on(t.codeHash),
    index("binding_codes_live_idx")
      .on(t.issuedByOrgId, t.expiresAt)
      .where(sql`${t.usedAt} is null`),
    index("binding_codes_live_all_idx").on(t.expiresAt).where(sql`${t.usedAt} is null`),
    index("binding_codes_member_idx").on(t.memberId).where(sql`${t.usedAt} is null`),
    index("binding_codes_admin_idx").on(t.adminId).where(sql`${t.usedAt} is null`),
  ],
);

/**
 * Request budgets shared by every app copy (src/services/rateLimits.ts): one row per key
 * ("chat:telegram:42", "addr:203.0.113.7", "bind:global", …) holding its GCRA theoretical
 * arrival time; a row in the past is a full budget and may be deleted.
 */
export const rateLimits = pgTable(
  "rate_limits",
  {
    key: text("key").primaryKey(),
    tat: timestamp("tat", { withTimezone: true }).notNull(),
  },
  (t) => [index("rate_limits_tat_idx").on(t.tat)],
);

/**
 * Every lookup of a member by name and ID number (R5 /locate, M1.4.3 in-organization starts):
 * who asked, when, for what, and whether it matched. Also the per-admin lookup budget.
 */
export const memberLookups = pgTable(
  "member_lookups",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    adminId: integer("admin_id")
      .notNull()
      .references(() => admins.id),
    purpose: text("purpose").$type<"locate" | "in_admin_start" | "import">().notNull(),
    /** Keyed hash of the number asked for: repeating one lookup costs no extra budget. */
    idHash: text("id_hash").notNull(),
    matched: boolean("matched").notNull(),
    /** False when the budget refused it (it is kept all the same). */
    performed: boolean("performed").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull(),
  },
  (t) => [index("member_lookups_admin_idx").on(t.adminId, t.at)],
);

/**
 * Button tokens: the short opaque string a platform sends back on a press, resolved to the real
 * payload here. `stateVersion` null marks a global action, valid whatever the dialog step;
 * `userId` null means anyone in the chat may press it (group cards).
 */
export const dialogActions = pgTable(
  "dialog_actions",
  {
    token: text("token").primaryKey(),
    channel: text("channel").notNull(),
    chatId: text("chat_id").notNull(),
    userId: text("user_id"),
    stateVersion: integer("state_version"),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [index("dialog_actions_created_idx").on(t.createdAt)],
);

/**
 * The web chat's conversations: what each person typed and everything the bot said, per chat,
 * kept so a reload (or another device) shows them again. `seq` numbers a chat's messages in
 * commit order (taken from `webchat_chats` under its row lock), so a page that read up to a
 * `seq` never misses a later one. The message is sealed: it may hold names and ID numbers.
 */
export const webchatMessages = pgTable(
  "webchat_messages",
  {
    chatId: text("chat_id").notNull(),
    seq: bigint("seq", { mode: "number" }).notNull(),
    sealed: text("sealed").notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.chatId, t.seq] })],
);

/** Each web chat's last message number. */
export const webchatChats = pgTable("webchat_chats", {
  chatId: text("chat_id").primaryKey(),
  lastSeq: bigint("last_seq", { mode: "number" }).notNull(),
});

/**
 * Web chat sessions: a person is whoever holds one (SPEC §8). The cookie carries a random
 * token; only its SHA-256 is stored. `userId` is the web chat user (`m-<member>` / `a-<admin>`).
 */
export const webchatSessions = pgTable(
  "webchat_sessions",
  {
    tokenHash: text("token_hash").primaryKey(),
    userId: text("user_id").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("webchat_sessions_expires_idx").on(t.expiresAt)],
);

// Delivery

/** A group chat bound to an organization: it receives that organization's cards and digests. */
export const chatBindings = pgTable(
  "chat_bindings",
  {
    channel: text("channel").notNull(),
    chatId: text("chat_id").notNull(),
    orgId: integer("org_id")
      .notNull()
      .references(() => organizations.id),
    boundByAdminId: integer("bound_by_admin_id").references(() => admins.id),
    createdAt: createdAt(),
    /** The group's own language (`/lang` there by its admin), for its cards and digests. */
    locale: text("locale"),
  },
  (t) => [
    primaryKey({ columns: [t.channel, t.chatId] }),
    index("chat_bindings_org_idx").on(t.orgId),
  ],
);

/**
 * One notification to one chat. The outbox fans each event out to its recipients' chats here;
 * every row is delivered, retried and given up on by itself, so a chat never gets a message
 * twice because another chat failed.
 */
export const deliveries = pgTable(
  "deliveries",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    outboxId: bigint("outbox_id", { mode: "number" })
      .notNull()
      .references(() => outbox.id),
    channel: text("channel").notNull(),
    chatId: text("chat_id").notNull(),
    /** The chat user's language at fan-out (private chats), else the default. */
    locale: text("locale"),
    /**
     * `dead`: the platform refused it for good (chat gone, bot blocked, bad request);
     * `expired`: it failed for a passing reason until its message no longer mattered.
     */
    status: text("status").$type<DeliveryStatus>().notNull(),
    attempts: integer("attempts").notNull().default(0),
    /** When it may be tried (queued); the slot planned for it within the rate limits (sending). */
    availableAt: timestamp("available_at", { withTimezone: true }).notNull(),
    claimedAt: timestamp("claimed_at", { withTimezone: true }),
    deliveredAt: timestamp("delivered_at", { withTimezone: true }),
    /** The platform's id of the sent message, to edit it later (cards). */
    platformMessageId: text("platform_message_id"),
    lastError: text("last_error"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("deliveries_once_uq").on(t.outboxId, t.channel, t.chatId),
    index("deliveries_due_idx").on(t.availableAt).where(sql`${t.status} in ('queued', 'sending')`),
    // Each chat's oldest open delivery goes first: a chat gets its messages in order.
    index("deliveries_head_idx")
      .on(t.channel, t.chatId, t.id)
      .where(sql`${t.status} in ('queued', 'sending')`),
    index("deliveries_dead_idx").on(t.id).where(sql`${t.status} = 'dead'`),
  ],
);

export type DeliveryStatus = "queued" | "sending" | "sent" | "dead" | "expired";

/** Where a referenced bot message (a card) was sent, so later outcomes edit it in place. */
export const sentMessages = pgTable(
  "sent_messages",
  {
    channel: text("channel").notNull(),
    chatId: text("chat_id").notNull(),
    ref: text("ref").notNull(),
    platformMessageId: text("platform_message_id").notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.channel, t.chatId, t.ref] })],
);

// WeCom

/** The numbered choices last sent to a WeCom user: a digit answer presses the Nth token. */
export const wecomChoices = pgTable("wecom_choices", {
  userId: text("user_id").primaryKey(),
  tokens: jsonb("tokens").$type<string[]>().notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull(),
});

/**
 * Approval cards sent as WeCom template cards, by task id: their buttons (an update repeats
 * them) and the latest single-use code that lets us update the card (72 h).
 */
export const wecomCards = pgTable("wecom_cards", {
  taskId: text("task_id").primaryKey(),
  buttons: jsonb("buttons").$type<{ text: string; key: string; style: number }[]>().notNull(),
  responseCode: text("response_code"),
  codeIssuedAt: timestamp("code_issued_at", { withTimezone: true }),
});

// WeCom AI bot (智能机器人)

/**
 * Template cards the AI bot sent, by task id: the chat, what the card showed (a refusal shown to
 * one presser repeats it) and the latest click's req_id, the only handle that lets us update the
 * card, valid for a few seconds after the click.
 */
export const wecombotCards = pgTable("wecombot_cards", {
  taskId: text("task_id").primaryKey(),
  chatId: text("chat_id").notNull(),
  card: jsonb("card").$type<Record<string, unknown>>().notNull(),
  clickReqId: text("click_req_id"),
  clickedAt: timestamp("clicked_at", { withTimezone: true }),
});

// Reliability

/**
 * Messages a platform handed over that are acknowledged only once stored here (WeCom gives up
 * on a callback after 5 s and never resends one answered 200). A worker handles them in order
 * per chat, across copies, and deletes each once handled; the dialogs' own update keys then
 * keep a resend from running twice. Channel-neutral: a row is the platform's message as JSON.
 */
export const inboundMessages = pgTable(
  "inbound_messages",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    channel: text("channel").notNull(),
    /** The platform's id of the message: a resend of a stored one is not stored again. */
    updateKey: text("update_key").notNull(),
    /** Messages of one chat are handled one at a time, oldest first. */
    chatKey: text("chat_key").notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    status: text("status").$type<"queued" | "working" | "failed">().notNull(),
    attempts: integer("attempts").notNull().default(0),
    availableAt: timestamp("available_at", { withTimezone: true }).notNull(),
    claimedAt: timestamp("claimed_at", { withTimezone: true }),
    lastError: text("last_error"),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("inbound_messages_key_uq").on(t.channel, t.updateKey),
    index("inbound_messages_head_idx")
      .on(t.channel, t.chatKey, t.id)
      .where(sql`${t.status} in ('queued', 'working')`),
  ],
);

/**
 * Messages sent, and slots taken for messages about to be sent, per rate-limit key (a bot, a
 * chat): the sliding windows of every platform limit are counted here, so all copies share
 * them. Rows older than the longest window are pruned.
 */
export const sendLog = pgTable(
  "send_log",
  {
    key: text("key").notNull(),
    /** Milliseconds since the epoch: the scheduler's own unit, compared exactly. */
    at: bigint("at", { mode: "number" }).notNull(),
  },
  (t) => [index("send_log_key_at_idx").on(t.key, t.at)],
);

// Imports (SPEC §7)

/**
 * A spreadsheet read for import: previewed first, applied in one transaction on confirmation,
 * undone while nothing happened to what it added. `adminId` null: the operator's CLI.
 */
export const imports = pgTable(
  "imports",
  {
    id: serial("id").primaryKey(),
    kind: text("kind").$type<ImportKind>().notNull(),
    fileName: text("file_name").notNull(),
    adminId: integer("admin_id").references((): AnyPgColumn => admins.id),
    /** The subtree the import may touch: the admin's organization, or the CLI's --org. */
    scopeOrgId: integer("scope_org_id").references((): AnyPgColumn => organizations.id),
    state: text("state").$type<ImportState>().notNull(),
    counts: jsonb("counts").$type<ImportCounts>().notNull(),
    createdAt: createdAt(),
    appliedAt: timestamp("applied_at", { withTimezone: true }),
    undoneAt: timestamp("undone_at", { withTimezone: true }),
  },
  (t) => [index("imports_admin_idx").on(t.adminId, t.createdAt)],
);

/**
 * The rows of an import as read and classified: what applying would do with each, or why it
 * is refused. Rows that were added or unchanged are dropped once applied; refused, changed and
 * moved ones stay (the refused file, and what undo restores). ID numbers are sealed here too.
 */
export const importRows = pgTable(
  "import_rows",
  {
    importId: integer("import_id")
      .notNull()
      .references(() => imports.id, { onDelete: "cascade" }),
    rowNo: integer("row_no").notNull(),
    action: text("action").$type<ImportAction>().notNull(),
    problemColumn: text("problem_column"),
    problem: text("problem"),
    detail: jsonb("detail").$type<Record<string, string | number>>(),
    name: text("name"),
    idHash: text("id_hash"),
    idSealed: text("id_sealed"),
    /** The member's branch, the new organization's parent, or the admin's organization. */
    targetId: integer("target_id"),
    /** The member, organization or admin the row matched. */
    existingId: integer("existing_id"),
    identity: text("identity").$type<MemberIdentity>(),
    graduationMonth: text("graduation_month"),
    graduationYear: smallint("graduation_year"),
    graduationBranchId: integer("graduation_branch_id"),
    delayedReason: text("delayed_reason"),
    /** Organization and admin fields. */
    payload: jsonb("payload").$type<Record<string, unknown>>(),
    /** What a change or move replaced, for undo. */
    previous: jsonb("previous").$type<Record<string, unknown>>(),
  },
  (t) => [
    primaryKey({ columns: [t.importId, t.rowNo] }),
    // No index on id_hash: the checks join whole imports by hash (hash joins), and a million
    // random keys in a B-tree made staging three times slower.
    index("import_rows_action_idx").on(t.importId, t.action),
  ],
);

// Exports (issue 18)

/**
 * Completed transfers an admin has recorded in 智慧团建 too (SPEC §7): the to-enter export lists
 * the completed transfers without a row here. One row per transfer, whoever ticked it.
 */
export const zhtjEntries = pgTable("zhtj_entries", {
  applicationId: integer("application_id")
    .primaryKey()
    .references(() => applications.id),
  enteredByAdminId: integer("entered_by_admin_id")
    .notNull()
    .references(() => admins.id),
  enteredAt: timestamp("entered_at", { withTimezone: true }).notNull(),
});

/**
 * An export made in the web chat, downloadable by the session that asked for it only (the
 * session's token hash), until it ends or `expiresAt`. The file is sealed: it holds names and,
 * for a leading organ, full ID numbers (R4).
 */
export const webchatFiles = pgTable(
  "webchat_files",
  {
    /** 128 random bits, base64url: the download link's name for it. */
    id: text("id").primaryKey(),
    sessionHash: text("session_hash").notNull(),
    name: text("name").notNull(),
    mime: text("mime").notNull(),
    sealed: text("sealed").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
  },
  (t) => [index("webchat_files_expires_idx").on(t.expiresAt)],
);
/**
 * Who holds a connection the platform allows only once (the WeCom AI bot's long connection):
 * the copy named in `holder` until `expires_at`, renewed while it lives; another copy takes the
 * row over once it expired.
 */
export const connectionLeases = pgTable("connection_leases", {
  name: text("name").primaryKey(),
  holder: text("holder").notNull(),
  expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
});
/**
 * Issue 20: a batch approval confirmed in a chat, run outside the dialog turn so that each
 * application is approved in its own transaction. `results` grows by one entry per
 * application in that application's transaction, so a run cut short resumes where it stopped;
 * `deferred` holds the card edits, queued after the summary so the summary comes first.
 */
export const batchRuns = pgTable(
  "batch_runs",
  {
    id: serial("id").primaryKey(),
    adminId: integer("admin_id")
      .notNull()
      .references(() => admins.id),
    channel: text("channel").notNull(),
    chatId: text("chat_id").notNull(),
    applicationIds: jsonb("application_ids").$type<number[]>().notNull(),
    /** The branch every committee-received member goes to; null leaves them to assign. */
    branchId: integer("branch_id").references(() => organizations.id),
    status: text("status").$type<"queued" | "running" | "done">().notNull(),
    results: jsonb("results").$type<unknown[]>().notNull().default(sql`'[]'::jsonb`),
    deferred: jsonb("deferred").$type<unknown[]>().notNull().default(sql`'[]'::jsonb`),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index("batch_runs_open_idx").on(t.id).where(sql`${t.status} <> 'done'`)],
);

/**
 * Issue 20.2: every reminder sent about an application, once per kind and stage — "h72",
 * "h168", "escalation", "nudge:2026-10-05" (a member's 催办, once a day) — so each goes once
 * however often the job runs. `queuedAt` is null while a nudge made at night waits for the day.
 */
export const stageReminders = pgTable(
  "stage_reminders",
  {
    applicationId: integer("application_id")
      .notNull()
      .references(() => applications.id),
    kind: text("kind").notNull(),
    stageSince: timestamp("stage_since", { withTimezone: true }).notNull(),
    requestedAt: timestamp("requested_at", { withTimezone: true }).notNull(),
    queuedAt: timestamp("queued_at", { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.applicationId, t.kind, t.stageSince] }),
    index("stage_reminders_waiting_idx").on(t.requestedAt).where(sql`${t.queuedAt} is null`),
  ],
);
