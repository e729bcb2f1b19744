/**
 * The transfer wizard (M1.4.1): destination in Beijing/Guangdong/Fujian or not, the reason
 * (SPEC §4 table), the reason's fields, the destination, the under-16 explanation when the
 * service asks for it, a summary, confirm. Every rule is the services'; this only asks. The
 * steps serve every initiator (R11): the member's own flow here, the admins' in flows/admin.
 */
import {
  ADDRESS_KINDS,
  type AddressKind,
  STUDY_TYPES,
  type StudyType,
  TRANSFER_REASONS,
  type TransferReason,
} from "../../domain/application.ts";
import { TEXT_FIELD_MAX } from "../../domain/transferRules.ts";
import { memberHotline } from "../../services/hotline.ts";
import { provinceRoots, searchDestinations } from "../../services/organizations.ts";
import { type FileInput, fileApplication } from "../../services/transfers.ts";
import { type PickerOption, pickerButtons, readPicker } from "../picker.ts";
import { refusalText } from "../refusals.ts";
import { menuButtonRow, raw, reply, stepButton, text } from "../replies.ts";
import { requestLine, requestLines } from "../requestLines.ts";
import { type Step, type StepOutcome, stepFlow } from "../steps.ts";
import type { DialogContext, Json, Text } from "../types.ts";

/** The member an admin files for, chosen before the wizard's own steps. */
export type Subject = { id: number; name: string; maskedId: string };

export type TransferData = {
  subject?: Subject;
  external?: boolean;
  reason?: TransferReason;
  studyType?: StudyType;
  schoolName?: string;
  schoolAddress?: string;
  employerName?: string;
  employerAddress?: string;
  addressKind?: AddressKind;
  address?: string;
  retainAtSchool?: boolean;
  rootId?: number;
  rootName?: string;
  query?: string;
  matches?: { id: number; name: string }[];
  page?: number;
  destinationOrgId?: number;
  destinationName?: string;
  externalOrgName?: string;
  externalOrgAddress?: string;
  externalOrgDetails?: string;
  under16Explanation?: string;
};

/** Enough matches to page through; more means the query should be longer. */
const MAX_MATCHES = 40;

const T = (key: string, params?: Text["params"]) => text(`transfer:${key}`, params);

/** A free-text answer: trimmed, not empty, not too long (the service checks again). */
export function textAnswer<D extends Json>(
  input: string,
  onValid: (value: string) => StepOutcome<D> | Promise<StepOutcome<D>>,
  max = TEXT_FIELD_MAX,
): StepOutcome<D> | Promise<StepOutcome<D>> {
  const value = input.trim();
  if (value === "") return { invalid: T("wizard.emptyText") };
  if (value.length > max) return { invalid: T("wizard.tooLong", { max }) };
  return onValid(value);
}

function nextForReason<D extends TransferData>(data: D): StepOutcome<D> {
  switch (data.reason) {
    case "further_study":
      return { next: "studyType", data };
    case "employed_with_org":
    case "employed_without_org":
      return { next: "employerName", data };
    case "not_placed":
      return { next: "addressKind", data };
    default:
      return { next: "summary", data };
  }
}

function summaryLines(data: TransferData, subjectLine?: (s: Subject) => Text): Text[] {
  const lines = [
    T("wizard.summaryTitle"),
    ...(data.subject && subjectLine ? [subjectLine(data.subject)] : []),
    requestLine("external", T(data.external ? "wizard.yes" : "wizard.no")),
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

export interface TransferStepsOptions<D extends TransferData> {
  /** Null when the person talking may not file (no longer bound as who they were). */
  filer(ctx: DialogContext, data: D): Filer | null | Promise<Filer | null>;
  /** The step choosing the receiving organization once the reason's fields are known. */
  destinationStep?: string;
  /** Full keys replacing those `transfer:` questions for an admin filing for someone else. */
  wording?: Record<WordedKey, string>;
  /** The summary's line naming the member filed for. */
  subjectLine?: (subject: Subject) => Text;
}

/** The wizard's steps from `external` to `summary`, for one kind of initiator. */
export function transferSteps<D extends TransferData & JsonObject>(
  options: TransferStepsOptions<D>,
): Record<string, Step<D>> {
  const W = (key: WordedKey, params?: Text["params"]) =>
    options.wording ? text(options.wording[key], params) : T(key, params);
  /** Where the wizard goes once the reason's own fields are known. */
  const afterFields = (data: D): StepOutcome<D> => {
    if (data.external) return { next: "externalProvince", data: { ...data, page: 0 } };
    return { next: options.destinationStep ?? "root", data: { ...data, page: 0 } };
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
      action: (_ctx, data, value) => {
        if (!isOneOf(TRANSFER_REASONS, value)) return { invalid: text("chat:nav.useButtons") };
        // A new reason starts its fields afresh, so no answer of another reason leaks through.
        const fresh = { external: data.external ?? false, reason: value };
        return nextForReason((data.subject ? { ...fresh, subject: data.subject } : fresh) as D);
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
          ADDRESS_KINDS.map((k) => stepButton(T(`addressKind.${k}`), k)),
        ]),
      action: (_ctx, data, value) =>
        isOneOf(ADDRESS_KINDS, value)
          ? { next: "address", data: { ...data, addressKind: value } }
          : { invalid: text("chat:nav.useButtons") },
    },
    address: {
      ask: (_ctx, data) =>
        reply(W("wizard.askAddress", { kind: T(`addressKind.${data.addressKind}`) })),
      text: (_ctx, data, input) =>
        textAnswer(input, (address) =>
          data.external
            ? afterFields({ ...data, address })
            : { next: "placement", data: { ...data, address } },
        ),
    },
    placement: {
      ask: () =>
        reply(T("wizard.askPlacement"), [
          [stepButton(T("wizard.placementTownship"), "township")],
          [stepButton(W("wizard.placementRetain"), "retain")],
        ]),
      action: (_ctx, data, value) => {
        if (value === "retain") return { next: "summary", data: { ...data, retainAtSchool: true } };
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
        return {
          next: "pick",
          data: {
            ...data,
            query,
            matches: found.items.map(({ id, name }) => ({ id, name })),
            page: 0,
          },
        };
      },
    },
    pick: {
      ask: (_ctx, data) => {
        const options = (data.matches ?? []).map((m) => ({ label: m.name, value: m.id }));
        return reply(
          T("wizard.matches", { count: options.length }),
          pickerButtons(options, data.page ?? 0),
        );
      },
      action: (_ctx, data, value) => {
        const picked = readPicker(value);
        if (!picked) return { invalid: text("chat:nav.useButtons") };
        if ("page" in picked) return { stay: { ...data, page: picked.page } };
        const match = (data.matches ?? []).find((m) => m.id === picked.pick);
        if (!match) return { invalid: text("chat:nav.useButtons") };
        return {
          next: "summary",
          data: { ...data, destinationOrgId: match.id, destinationName: match.name },
        };
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
      text: (_ctx, data, input) =>
        textAnswer(input, (externalOrgDetails) => ({
          next: "summary",
          data: { ...data, externalOrgDetails },
        })),
    },
    under16: {
      ask: () => reply(W("wizard.askUnder16")),
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
        const result = await fileApplication(
          ctx.db,
          {
            ...filer,
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
          },
          ctx.now,
          ctx.season,
        );
        if (!result.ok) {
          if (result.reason === "under16_explanation_required") return { next: "under16", data };
          return { invalid: T("wizard.refused", { why: refusalText(result) }) };
        }
        return {
          done: [
            reply(
              W("wizard.submitted", {
                id: result.applicationId,
                state: T(`state.${result.state}`),
              }),
              [menuButtonRow()],
            ),
          ],
        };
      },
    },
  };
}

export const transferFlow = stepFlow<TransferData>({
  name: "transfer",
  requires: "member",
  first: "external",
  initial: () => ({}),
  steps: transferSteps<TransferData>({
    filer: (ctx) => {
      const memberId = ctx.identity.memberId;
      return memberId === null ? null : { actor: { kind: "member", memberId }, as: "member" };
    },
  }),
});
