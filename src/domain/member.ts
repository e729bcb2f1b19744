/** Marked identity of a member (SPEC §2, M1.2). */
export const MEMBER_IDENTITIES = ["graduate", "delayed", "teacher"] as const;
export type MemberIdentity = (typeof MEMBER_IDENTITIES)[number];
