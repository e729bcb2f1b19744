DROP INDEX "applications_one_open_per_member_uq";--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "ages_out" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "applications_one_open_per_member_uq" ON "applications" USING btree ("member_id") WHERE state in ('awaiting_leader', 'awaiting_province', 'awaiting_out_org', 'pending', 'awaiting_assignment');--> statement-breakpoint
-- R28: a completed transfer stays the member's outcome (the earliest, if a follow-up completed
-- too); a retention at school stays until a follow-up completes; otherwise the latest live
-- application. The same ranks as refreshOutcomes (src/services/outcomes.ts).
UPDATE "members" m
SET "outcome_application_id" = o."id",
    "outcome_reason" = o."reason",
    "outcome_state" = o."state",
    "outcome_retained" = o."retain_at_school",
    "outcome_destination_id" = coalesce(o."assigned_branch_id", o."to_org_id")
FROM (
  SELECT DISTINCT ON (a."member_id") a."member_id", a."id", a."reason", a."state",
    a."retain_at_school", a."assigned_branch_id", a."to_org_id"
  FROM "applications" a
  WHERE a."state" NOT IN ('rejected', 'withdrawn', 'auto_returned')
  ORDER BY a."member_id",
    CASE WHEN a."state" = 'completed' AND NOT a."retain_at_school" THEN 0
         WHEN a."state" = 'completed' THEN 1 ELSE 2 END,
    CASE WHEN a."state" = 'completed' AND NOT a."retain_at_school" THEN a."id" ELSE -a."id" END
) o
WHERE o."member_id" = m."id" AND m."outcome_application_id" IS DISTINCT FROM o."id";
