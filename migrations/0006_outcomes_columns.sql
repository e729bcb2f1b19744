ALTER TABLE "members" ADD COLUMN "outcome_application_id" integer;--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "outcome_reason" text;--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "outcome_state" text;--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "outcome_retained" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "outcome_destination_id" integer;