CREATE TABLE "stage_reminders" (
	"application_id" integer NOT NULL,
	"kind" text NOT NULL,
	"stage_since" timestamp with time zone NOT NULL,
	"requested_at" timestamp with time zone NOT NULL,
	"queued_at" timestamp with time zone,
	CONSTRAINT "stage_reminders_application_id_kind_stage_since_pk" PRIMARY KEY("application_id","kind","stage_since")
);
--> statement-breakpoint
ALTER TABLE "stage_reminders" ADD CONSTRAINT "stage_reminders_application_id_applications_id_fk" FOREIGN KEY ("application_id") REFERENCES "public"."applications"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "stage_reminders_waiting_idx" ON "stage_reminders" USING btree ("requested_at") WHERE "stage_reminders"."queued_at" is null;