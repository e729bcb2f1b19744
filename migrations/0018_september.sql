CREATE TABLE "batch_runs" (
	"id" serial PRIMARY KEY NOT NULL,
	"admin_id" integer NOT NULL,
	"channel" text NOT NULL,
	"chat_id" text NOT NULL,
	"application_ids" jsonb NOT NULL,
	"branch_id" integer,
	"status" text NOT NULL,
	"results" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"deferred" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "stage_reminders" (
	"application_id" integer NOT NULL,
	"kind" text NOT NULL,
	"stage_since" timestamp with time zone NOT NULL,
	"requested_at" timestamp with time zone NOT NULL,
	"queued_at" timestamp with time zone,
	CONSTRAINT "stage_reminders_application_id_kind_stage_since_pk" PRIMARY KEY("application_id","kind","stage_since")
);
--> statement-breakpoint
ALTER TABLE "admins" ADD COLUMN "removed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "applications" ADD COLUMN "refiled_from_id" integer;--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "batch_approval_off" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "batch_runs" ADD CONSTRAINT "batch_runs_admin_id_admins_id_fk" FOREIGN KEY ("admin_id") REFERENCES "public"."admins"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "batch_runs" ADD CONSTRAINT "batch_runs_branch_id_organizations_id_fk" FOREIGN KEY ("branch_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stage_reminders" ADD CONSTRAINT "stage_reminders_application_id_applications_id_fk" FOREIGN KEY ("application_id") REFERENCES "public"."applications"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "batch_runs_open_idx" ON "batch_runs" USING btree ("id") WHERE "batch_runs"."status" <> 'done';--> statement-breakpoint
CREATE INDEX "stage_reminders_waiting_idx" ON "stage_reminders" USING btree ("requested_at") WHERE "stage_reminders"."queued_at" is null;--> statement-breakpoint
ALTER TABLE "applications" ADD CONSTRAINT "applications_refiled_from_id_applications_id_fk" FOREIGN KEY ("refiled_from_id") REFERENCES "public"."applications"("id") ON DELETE no action ON UPDATE no action;