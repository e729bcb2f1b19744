/**
 * The transfer wizard (M1.4.1): destination in Beijing/Guangdong/Fujian or not, the reason
 * (SPEC §4 table), the reason's fields, the destination, the under-16 explanation (R19), a
 * summary, confirm. Every rule is the services' and the domain's; the wizard asks each as soon
 * as it can be known (whether this member may file at all before the first question, R18's
 * residence rule with the address, R19 once the destination is known), and the service asks
 * again on submit. The steps serve every initiator (R11): the member's own flow here, the
 * admins' in flows/admin.
 */
import { type InitiatorKind, STUDY_TYPES, TRANSFER_REASONS } from "../../domain/application.ts";
import { retentionOpen } from "../../domain/calendar.ts";
import {
  allowedAddressKinds,
  TEXT_FIELD_MAX,
  type TransferRequest,
} from "../../domain/transferRules.ts";
import { memberHotline } from "../../services/hotline.ts";
import { provinceRoots, searchDestinations } from "../../services/organizations.ts";
import { loadOrg } from "../../services/orgStore.ts";
import {
  type FileInput,
  fileApplication,
  filingCheck,
  loadOwnClosed,
  under16ExplanationNeeded,
} from "../../services/transfers.ts";
import { type PickerOption, pickerButtons, readPicker } from "../picker.ts";
import { refusalText } from "../refusals.ts";
import { button, menuButtonRow, raw, reply, stepButton, text } from "../replies.ts";
import { requestLine, requestLines } from "../requestLines.ts";
import { type Step, type StepOutcome, stepFlow } from "../steps.ts";
import type { DialogContext, Json, Reply, Text } from "../types.ts";
import { detailsAction } from "./decide.ts";
import { withdrawAction } from "./myApplications.ts";

/** The member an admin files for, chosen before the wizard's own steps. */
export type Subject = { id: number; name: string; maskedId: string };

/**
 * The wizard's answers: the service's input, each field absent until its question is answered
 * (`requestOf` fills the rest), and the wizard's own way there — the member filed for, the
 * destination search and the names shown back.
 */
export type TransferData = Partial<Pick<FileInput, keyof TransferRequest | "refiledFromId">> & {
  subject?: Subject;
  rootId?: number;
  rootName?: string;
  query?: string;
  matches?: { id: number; name: string; parentName: string | null }[];
  page?: number;
  destinationName?: string;
};

/** The wizard's steps from `external` to `summary` (see `transferSteps`). */
export type TransferStep =
  | "external"
  | "reason"
  | "studyType"
  | "schoolName"
  | "schoolAddress"
  | "employerName"
  | "employerAddress"
  | "addressKind"
  | "address"
  | "placement"
  | "root"
  | "query"
  | "pick"
  | "externalProvince"
  | "externalName"
  | "externalAddress"
  | "externalDetails"
  | "under16"
  | "summary";

/** Enough matches to page through; more means the query should be longer. */
const MAX_MATCHES = 40;

const T = (key: string, params?: Text["params"]) => text(`transfer:${key}`, params);
const W = (key: string, params?: Text["params"]) => text(`workflow:${key}`, params);

/** A free-text answer: trimmed, not empty, not too long (the service checks again). */
export function textAnswer<D extends Json, K extends string = string>(
  input: string,
  onValid: (value: string) => StepOutcome<D, K> | Promise<StepOutcome<D, K>>,
  max = TEXT_FIELD_MAX,
): StepOutcome<D, K> | Promise<StepOutcome<D, K>> {
  const value = input.trim();
  if (value === "") return { invalid: T("wizard.emptyText") };
  if (value.length > max) return { invalid: T("wizard.tooLong", { max }) };
  return onValid(value);
}

/** The request as the service takes it, from the answers so far. */
function requestOf(data: TransferData): TransferRequest {
  return {
    reason: data.reason ?? "further_study",
    external: data.external ?? false,
    destinationOrgId: data.destinationOrgId ?? null,
    studyType: data.studyType ?? null,
    schoolName: data.schoolName ?? null,
    schoolAddress: data.schoolAddress ?? null,
    employerName: data.employerName ?? null,
    employerAddress: data.employerAddress ?? null,
    address: data.address ?? null,
    addressKind: data.addressKind ?? null,
    retainAtSchool: data.retainAtSchool ?? false,
    externalOrgName: data.externalOrgName ?? null,
    externalOrgAddress: data.externalOrgAddress ?? null,
    externalOrgDetails: data.externalOrgDetails ?? null,
    under16Explanation: data.under16Explanation ?? null,
  };
}

/**
 * The destination is known: R19's explanation is asked now when needed (never after
 * "confirm"), and dropped when a changed destination no longer needs it; then the summary.
 */
export async function toSummary<D extends TransferData>(
  ctx: DialogContext,
  data: D,
): Promise<StepOutcome<D, "under16" | "summary">> {
  const memberId = data.subject?.id ?? ctx.identity.memberId;
  const needed =
    memberId !== null &&
    (await under16ExplanationNeeded(
      ctx.db,
      { memberId, request: requestOf(data) },
      ctx.now,
      ctx.season,
    ));
  if (needed && !data.under16Explanation) return { next: "under16", data };
  if (!needed && data.under16Explanation !== undefined) {
    const { under16Explanation: _, ...rest } = data;
    return { next: "summary", data: rest as D };
  }
  return { next: "summary", data };
}

/**
 * Whether a transfer may be filed for this member at all (one open application, R28, R31),
 * asked before the wizard's first question about it; null when it may.
 */
export async function filingRefusal(
  ctx: DialogContext,
  memberId: number,
  as: InitiatorKind,
): Promise<Text | null> {
  const refusal = await filingCheck(ctx.db, { memberId, as }, ctx.now, ctx.season);
  return refusal ? refusalText(refusal) : null;
}

function summaryLines(data: TransferData, subjectLine?: (s: Subject) => Text): Text[] {
  const lines = [
    T("wizard.summaryTitle"),
    ...(data.subject && subjectLine ? [subjectLine(data.subject)] : []),
    requestLine("external", W(data.external ? "answer.yes" : "answer.no")),
    ...requestLines({
      ...data,
      externalOrgName: null,
      externalOrgAddress: null,
      externalOrgDetails: null,
      under16Explanation: null,
    }),
  ];
  if (data.reason === "overseas")
    lines.push(requestLine("destination", T("wizard.destinationOverseas")));
  else if (data.reason === "special_unit") {
    lines.push(requestLine("destination", T("wizard.destinationSpecial")));
  } else if (data.retainAtSchool)
    lines.push(requestLine("destination", T("wizard.destinationRetain")));
  else if (data.destinationName) lines.push(requestLine("destination", data.destinationName));
  // The external organization and the explanation come after the destination they describe.
  return [
    ...lines,
    ...requestLines({
      externalOrgName: data.externalOrgName,
      externalOrgAddress: data.externalOrgAddress,
      externalOrgDetails: data.externalOrgDetails,
      under16Explanation: data.under16Explanation,
    }),
  ];
}

async function noMatchText(ctx: DialogContext, data: TransferData, query: string): Promise<Text[]> {
  const parts = [T("wizard.noMatch", { root: raw(data.rootName ?? ""), query: raw(query) })];
  const memberId = data.subject?.id ?? ctx.identity.memberId;
  const hotline = memberId ? await memberHotline(ctx.db, memberId) : null;
  if (hotline?.hotline) {
    parts.push(
      T("wizard.hotlineHint", {
        org: raw(hotline.hotlineOf ?? hotline.orgName),
        number: raw(hotline.hotline),
      }),
    );
  }
  return parts;
}

type JsonObject = { [key: string]: Json };

const isOneOf = <T extends string>(list: readonly T[], value: Json): value is T =>
  typeof value === "string" && (list as readonly string[]).includes(value);

/** Who files the application and for whom (R11). */
export type Filer = Pick<FileInput, "actor" | "as" | "memberId" | "memberName" | "memberIdNumber">;

/** Questions whose wording says "you" to the member. */
type WordedKey =
  | "wizard.askAddress"
  | "wizard.placementRetain"
  | "wizard.askUnder16"
  | "wizard.submitted";

/** `C`: the context of the flow the steps serve (an admin's, in an admin's flow). */
export interface TransferStepsOptions<
  D extends TransferData,
  K extends string,
  C extends DialogContext = DialogContext,
> {
  /** Who files with these steps (R11): some questions depend on it (R18). */
  initiator: InitiatorKind;
  /** Null when the person talking may not file (no longer bound as who they were). */
  filer(ctx: C, data: D): Filer | null | Promise<Filer | null>;
  /** The step choosing the receiving organization once the reason's fields are known. */
  destinationStep?: K;
  /** Full keys replacing those `transfer:` questions for an admin filing for someone else. */
  wording?: Record<WordedKey, string>;
  /** The summary's line naming the member filed for. */
  subjectLine?: (subject: Subject) => Text;
}

/**
 * The wizard's steps from `external` to `summary`, for one kind of initiator; `K` names the
 * flow's own destination step, when it has one instead of `root`, and `C` the context of the
 * flow the steps serve (an admin's, in an admin's flow).
 */
export function transferSteps<
  D extends TransferData & JsonObject,
  K extends string = never,
  C extends DialogContext = DialogContext,
>(options: TransferStepsOptions<D, K, C>): Record<TransferStep, Step<D, TransferStep | K, C>> {
  type Outcome = StepOutcome<D, TransferStep | K>;
  const Q = (key: WordedKey, params?: Text["params"]) =>
    options.wording ? text(options.wording[key], params) : T(key, params);
  /** Where the wizard goes once the reason's own fields are known. */
  const afterFields = (data: D): Outcome => {
    if (data.external) return { next: "externalProvince", data: { ...data, page: 0 } };
    return { next: options.destinationStep ?? "root", data: { ...data, page: 0 } };
  };
  /** R18: the address kinds this initiator may give; a single one is not asked for. */
  const addressKinds = allowedAddressKinds(options.initiator);
  const nextForReason = (ctx: DialogContext, data: D): Outcome | Promise<Outcome> => {
    switch (data.reason) {
      case "further_study":
        return { next: "studyType", data };
      case "employed_with_org":
      case "employed_without_org":
        return { next: "employerName", data };
      case "not_placed":
        return addressKinds.length === 1
          ? { next: "address", data: { ...data, addressKind: addressKinds[0] } }
          : { next: "addressKind", data };
      default:
        return toSummary(ctx, data);
    }
  };
  return {
    external: {
      ask: () =>
        reply(T("wizard.askExternal"), [
          [stepButton(T("wizard.yes"), true), stepButton(T("wizard.no"), false)],
        ]),
      action: (_ctx, data, value) =>
        typeof value === "boolean"
          ? { next: "reason", data: { ...data, external: value } }
          : { invalid: text("chat:nav.useButtons") },
    },
    reason: {
      ask: (_ctx, data) =>
        reply(
          T("wizard.askReason"),
          TRANSFER_REASONS.filter(
            // Overseas and special-unit transfers have no destination to describe.
            (r) => !data.external || (r !== "overseas" && r !== "special_unit"),
          ).map((r) => [stepButton(T(`reason.${r}`), r)]),
        ),
      action: (ctx, data, value) => {
        if (!isOneOf(TRANSFER_REASONS, value)) return { invalid: text("chat:nav.useButtons") };
        // A new reason starts its fields afresh, so no answer of another reason leaks through.
        const fresh = { external: data.external ?? false, reason: value };
        return nextForReason(
          ctx,
          (data.subject ? { ...fresh, subject: data.subject } : fresh) as D,
        );
      },
    },
    studyType: {
      ask: () =>
        reply(
          T("wizard.askStudyType"),
          STUDY_TYPES.map((s) => [stepButton(T(`studyType.${s}`), s)]),
        ),
      action: (_ctx, data, value) =>
        isOneOf(STUDY_TYPES, value)
          ? { next: "schoolName", data: { ...data, studyType: value } }
          : { invalid: text("chat:nav.useButtons") },
    },
    schoolName: {
      ask: () => reply(T("wizard.askSchoolName")),
      text: (_ctx, data, input) =>
        textAnswer(input, (schoolName) => ({
          next: "schoolAddress",
          data: { ...data, schoolName },
        })),
    },
    schoolAddress: {
      ask: () => reply(T("wizard.askSchoolAddress")),
      text: (_ctx, data, input) =>
        textAnswer(input, (schoolAddress) => afterFields({ ...data, schoolAddress })),
    },
    employerName: {
      ask: () => reply(T("wizard.askEmployerName")),
      text: (_ctx, data, input) =>
        textAnswer(input, (employerName) => ({
          next: "employerAddress",
          data: { ...data, employerName },
        })),
    },
    employerAddress: {
      ask: () => reply(T("wizard.askEmployerAddress")),
      text: (_ctx, data, input) =>
        textAnswer(input, (employerAddress) => afterFields({ ...data, employerAddress })),
    },
    addressKind: {
      ask: () =>
        reply(T("wizard.askAddressKind"), [
          addressKinds.map((k) => stepButton(T(`addressKind.${k}`), k)),
        ]),
      action: (_ctx, data, value) =>
        isOneOf(addressKinds, value)
          ? { next: "address", data: { ...data, addressKind: value } }
          : { invalid: text("chat:nav.useButtons") },
    },
    address: {
      ask: (_ctx, data) =>
        reply([
          // R18: a school names where the member lives, and is told why before typing.
          ...(addressKinds.length === 1 ? [text("transfer:refusal.residence_required")] : []),
          Q("wizard.askAddress", { kind: T(`addressKind.${data.addressKind}`) }),
        ]),
      text: (_ctx, data, input) =>
        textAnswer(input, (address) =>
          data.external
            ? afterFields({ ...data, address })
            : { next: "placement", data: { ...data, address } },
        ),
    },
    placement: {
      // R15: before the retention date only the township is offered, and the date is said.
      ask: (ctx) =>
        retentionOpen(ctx.season, ctx.now)
          ? reply(T("wizard.askPlacement"), [
              [stepButton(T("wizard.placementTownship"), "township")],
              [stepButton(Q("wizard.placementRetain"), "retain")],
            ])
          : reply(
              [
                T("wizard.askPlacement"),
                text("seasons:refusal.retention_not_yet", { date: ctx.season.retentionFrom }),
              ],
              [[stepButton(T("wizard.placementTownship"), "township")]],
            ),
      action: (ctx, data, value) => {
        if (value === "retain" && !retentionOpen(ctx.season, ctx.now)) {
          return {
            invalid: text("seasons:refusal.retention_not_yet", { date: ctx.season.retentionFrom }),
          };
        }
        if (value === "retain") return toSummary(ctx, { ...data, retainAtSchool: true });
        if (value === "township") return afterFields({ ...data, retainAtSchool: false });
        return { invalid: text("chat:nav.useButtons") };
      },
    },
    root: {
      ask: async (ctx, data) => {
        const roots = (await provinceRoots(ctx.db)).filter((r) => !r.isExternalProvince);
        const options: PickerOption[] = roots.map((r) => ({ label: r.name, value: r.id }));
        return reply(T("wizard.askRoot"), pickerButtons(options, data.page ?? 0));
      },
      action: async (ctx, data, value) => {
        const picked = readPicker(value);
        if (!picked) return { invalid: text("chat:nav.useButtons") };
        if ("page" in picked) return { stay: { ...data, page: picked.page } };
        const root = (await provinceRoots(ctx.db)).find(
          (r) => r.id === picked.pick && !r.isExternalProvince,
        );
        if (!root) return { invalid: text("chat:nav.useButtons") };
        return { next: "query", data: { ...data, rootId: root.id, rootName: root.name, page: 0 } };
      },
    },
    query: {
      ask: (_ctx, data) => reply(T("wizard.askQuery", { root: raw(data.rootName ?? "") })),
      text: async (ctx, data, input) => {
        const query = input.trim();
        if (query === "") return { invalid: T("wizard.emptyText") };
        if (query.length > TEXT_FIELD_MAX)
          return { invalid: T("wizard.tooLong", { max: TEXT_FIELD_MAX }) };
        const found = await searchDestinations(ctx.db, {
          rootId: data.rootId ?? 0,
          query,
          request: { reason: data.reason ?? "further_study", external: false },
          limit: MAX_MATCHES,
        });
        if (found.items.length === 0) {
          return { invalid: await noMatchText(ctx, data, query) };
        }
        return { next: "pick", data: { ...data, query, matches: found.items, page: 0 } };
      },
    },
    pick: {
      ask: (_ctx, data) => {
        // Namesakes ("青年路社区团支部") are told apart by the organization above them.
        const options = (data.matches ?? []).map((m) => ({
          label: m.parentName
            ? W("matchLabel", { name: raw(m.name), parent: raw(m.parentName) })
            : raw(m.name),
          value: m.id,
        }));
        return reply(
          T("wizard.matches", { count: options.length }),
          pickerButtons(options, data.page ?? 0),
        );
      },
      action: (ctx, data, value) => {
        const picked = readPicker(value);
        if (!picked) return { invalid: text("chat:nav.useButtons") };
        if ("page" in picked) return { stay: { ...data, page: picked.page } };
        const match = (data.matches ?? []).find((m) => m.id === picked.pick);
        if (!match) return { invalid: text("chat:nav.useButtons") };
        return toSummary(ctx, { ...data, destinationOrgId: match.id, destinationName: match.name });
      },
    },
    externalProvince: {
      ask: async (ctx, data) => {
        const roots = (await provinceRoots(ctx.db)).filter((r) => r.isExternalProvince);
        return reply(
          T("wizard.askExternalProvince"),
          pickerButtons(
            roots.map((r) => ({ label: r.name, value: r.id })),
            data.page ?? 0,
          ),
        );
      },
      action: async (ctx, data, value) => {
        const picked = readPicker(value);
        if (!picked || "page" in picked) return { invalid: text("chat:nav.useButtons") };
        const root = (await provinceRoots(ctx.db)).find(
          (r) => r.id === picked.pick && r.isExternalProvince,
        );
        if (!root) return { invalid: text("chat:nav.useButtons") };
        return {
          next: "externalName",
          data: { ...data, destinationOrgId: root.id, destinationName: root.name },
        };
      },
    },
    externalName: {
      ask: () => reply(T("wizard.askExternalName")),
      text: (_ctx, data, input) =>
        textAnswer(input, (externalOrgName) => ({
          next: "externalAddress",
          data: { ...data, externalOrgName },
        })),
    },
    externalAddress: {
      ask: () => reply(T("wizard.askExternalAddress")),
      text: (_ctx, data, input) =>
        textAnswer(input, (externalOrgAddress) => ({
          next: "externalDetails",
          data: { ...data, externalOrgAddress },
        })),
    },
    externalDetails: {
      ask: () => reply(T("wizard.askExternalDetails")),
      text: (ctx, data, input) =>
        textAnswer(input, (externalOrgDetails) => toSummary(ctx, { ...data, externalOrgDetails })),
    },
    under16: {
      ask: () => reply(Q("wizard.askUnder16")),
      text: (_ctx, data, input) =>
        textAnswer(input, (under16Explanation) => ({
          next: "summary",
          data: { ...data, under16Explanation },
        })),
    },
    summary: {
      ask: (_ctx, data) =>
        reply(summaryLines(data, options.subjectLine), [
          [stepButton(T("wizard.confirm"), "confirm")],
        ]),
      action: async (ctx, data, value) => {
        if (value !== "confirm") return { invalid: text("chat:nav.useButtons") };
        const filer = await options.filer(ctx, data);
        if (filer === null) return { invalid: T("wizard.notMember") };
        const request = requestOf(data);
        const refiled = data.refiledFromId ? { refiledFromId: data.refiledFromId } : {};
        const result = await fileApplication(
          ctx.db,
          { ...filer, ...request, ...refiled },
          ctx.now,
          ctx.season,
        );
        if (!result.ok) {
          if (result.reason === "under16_explanation_required") return { next: "under16", data };
          return { invalid: T("wizard.refused", { why: refusalText(result) }) };
        }
        const submitted = Q("wizard.submitted", {
          id: result.applicationId,
          state: T(`state.${result.state}`),
        });
        // R20: where an external transfer goes on, and who receives the member there.
        const next = request.external
          ? [
              W("externalNext", {
                province: raw(data.destinationName ?? ""),
                org: raw(data.externalOrgName ?? ""),
                address: raw(data.externalOrgAddress ?? ""),
              }),
            ]
          : [];
        // An admin who filed for a member keeps the way to it: its details, and withdrawing (R21).
        const args = { id: result.applicationId };
        const own =
          filer.as === "member"
            ? []
            : [
                [
                  withdrawAction.button(T("mine.withdraw", args), args),
                  detailsAction.button(text("card:details"), args),
                ],
              ];
        return { done: [reply([submitted, ...next], [...own, menuButtonRow()])] };
      },
    },
  };
}

/** Issue 20.4: every answer of a rejected or returned application, to refile it from. */
async function refileDraft(ctx: DialogContext, applicationId: number): Promise<TransferData> {
  const memberId = ctx.identity.memberId;
  const app = memberId === null ? null : await loadOwnClosed(ctx.db, applicationId, memberId);
  if (!app) return {};
  const destination = app.toOrgId ? await loadOrg(ctx.db, app.toOrgId) : undefined;
  const answers = {
    studyType: app.studyType,
    schoolName: app.schoolName,
    schoolAddress: app.schoolAddress,
    employerName: app.employerName,
    employerAddress: app.employerAddress,
    addressKind: app.addressKind,
    address: app.address,
    externalOrgName: app.externalOrgName,
    externalOrgAddress: app.externalOrgAddress,
    externalOrgDetails: app.externalOrgDetails,
    under16Explanation: app.under16Explanation,
  };
  // Unanswered questions stay unanswered (absent, as in a new wizard), not null.
  const given = Object.fromEntries(Object.entries(answers).filter(([, v]) => v !== null));
  return {
    ...(given as Partial<TransferData>),
    refiledFromId: app.id,
    external: app.external,
    reason: app.reason,
    ...(app.retainAtSchool ? { retainAtSchool: true } : {}),
    ...(destination ? { destinationOrgId: destination.id, destinationName: destination.name } : {}),
  };
}

const memberSteps = stepFlow<TransferData, { refileFrom?: number }, TransferStep>({
  name: "transfer",
  requires: "member",
  first: "external",
  initial: (ctx, args) => (args?.refileFrom ? refileDraft(ctx, args.refileFrom) : {}),
  // A refiled application opens at its summary; Back leads to the reason and the first question.
  resume: (data) => (data.refiledFromId ? { step: "summary", back: ["external", "reason"] } : null),
  steps: transferSteps<TransferData>({
    initiator: "member",
    filer: (ctx) => {
      const memberId = ctx.identity.memberId;
      return memberId === null ? null : { actor: { kind: "member", memberId }, as: "member" };
    },
  }),
});

/** Where a member who may not file now can look next: their applications, the menu. */
const refusedStart = (why: Text): Reply =>
  reply(why, [
    [button("chat:menu.myApplications", { type: "flow", flow: "myApplications" })],
    menuButtonRow(),
  ]);

/** The member's own wizard; one who may not file now hears why before any question. */
export const transferFlow: typeof memberSteps = {
  ...memberSteps,
  async start(ctx, args) {
    const memberId = ctx.identity.memberId;
    const why = memberId === null ? null : await filingRefusal(ctx, memberId, "member");
    if (why) return { state: null, replies: [refusedStart(why)] };
    return memberSteps.start(ctx, args);
  },
};
