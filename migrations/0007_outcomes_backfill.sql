-- Fills the members' outcome columns from applications, as refreshOutcomes
-- (src/services/outcomes.ts) keeps them from now on: the latest application by id whose state
-- is not dead (rejected, withdrawn, auto_returned).
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
  ORDER BY a."member_id", a."id" DESC
) o
WHERE o."member_id" = m."id";
