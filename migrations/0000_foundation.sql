CREATE TABLE "admins" (
	"id" serial PRIMARY KEY NOT NULL,
	"org_id" integer NOT NULL,
	"name" text NOT NULL,
	"phone" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "application_history" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"application_id" integer NOT NULL,
	"action" text NOT NULL,
	"actor_kind" text NOT NULL,
	"actor_member_id" integer,
	"actor_admin_id" integer,
	"from_state" text,
	"to_state" text NOT NULL,
	"note" text,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "applications" (
	"id" serial PRIMARY KEY NOT NULL,
	"member_id" integer NOT NULL,
	"state" text NOT NULL,
	"stage_since" timestamp with time zone NOT NULL,
	"initiator_kind" text NOT NULL,
	"initiator_member_id" integer,
	"initiator_admin_id" integer,
	"reason" text NOT NULL,
	"external" boolean DEFAULT false NOT NULL,
	"from_org_id" integer NOT NULL,
	"to_org_id" integer,
	"assigned_branch_id" integer,
	"deciding_org_id" integer,
	"study_type" text,
	"school_name" text,
	"school_address" text,
	"employer_name" text,
	"employer_address" text,
	"address" text,
	"address_kind" text,
	"retain_at_school" boolean DEFAULT false NOT NULL,
	"external_org_name" text,
	"external_org_address" text,
	"external_org_details" text,
	"under16_explanation" text,
	"graduation_year" smallint,
	"decided_by_admin_id" integer,
	"decided_at" timestamp with time zone,
	"reject_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "chat_identities" (
	"id" serial PRIMARY KEY NOT NULL,
	"channel" text NOT NULL,
	"external_user_id" text NOT NULL,
	"member_id" integer,
	"admin_id" integer,
	"locale" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "dialog_states" (
	"channel" text NOT NULL,
	"chat_id" text NOT NULL,
	"user_id" text NOT NULL,
	"state" jsonb NOT NULL,
	"version" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "dialog_states_channel_chat_id_user_id_pk" PRIMARY KEY("channel","chat_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "graduation_change_requests" (
	"id" serial PRIMARY KEY NOT NULL,
	"branch_id" integer NOT NULL,
	"old_month" text,
	"new_month" text NOT NULL,
	"reason" text NOT NULL,
	"requested_by_admin_id" integer NOT NULL,
	"approver_org_id" integer NOT NULL,
	"state" text NOT NULL,
	"decided_by_admin_id" integer,
	"decided_at" timestamp with time zone,
	"decision_note" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "indicator_snapshots" (
	"org_id" integer NOT NULL,
	"graduation_year" smallint NOT NULL,
	"day" date NOT NULL,
	"a" integer NOT NULL,
	"b" integer NOT NULL,
	"c" integer NOT NULL,
	"d" integer NOT NULL,
	"e" integer NOT NULL,
	"f" integer NOT NULL,
	"taken_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "indicator_snapshots_org_id_graduation_year_day_pk" PRIMARY KEY("org_id","graduation_year","day")
);
--> statement-breakpoint
CREATE TABLE "job_runs" (
	"key" text PRIMARY KEY NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "mark_history" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"org_id" integer,
	"member_id" integer,
	"action" text NOT NULL,
	"actor_admin_id" integer,
	"detail" jsonb,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "members" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"id_number" text NOT NULL,
	"birth_date" date NOT NULL,
	"branch_id" integer NOT NULL,
	"identity" text DEFAULT 'graduate' NOT NULL,
	"graduation_branch_id" integer,
	"graduation_month" text,
	"graduation_year" smallint,
	"delayed_reason" text,
	"retained_since" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "organizations" (
	"id" serial PRIMARY KEY NOT NULL,
	"parent_id" integer,
	"path" text NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"level" text DEFAULT 'none' NOT NULL,
	"domain" text DEFAULT 'other' NOT NULL,
	"category" text DEFAULT 'normal' NOT NULL,
	"institution_code" text,
	"province_id" integer,
	"is_system_committee" boolean DEFAULT false NOT NULL,
	"is_external_province" boolean DEFAULT false NOT NULL,
	"hotline" text,
	"graduation_month" text,
	"graduation_unset_reason" text,
	"converted_at" timestamp with time zone,
	"school_id" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"event" text NOT NULL,
	"recipient_type" text NOT NULL,
	"recipient_id" text NOT NULL,
	"payload" jsonb NOT NULL,
	"dedupe_key" text,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"available_at" timestamp with time zone DEFAULT now() NOT NULL,
	"claimed_at" timestamp with time zone,
	"delivered_at" timestamp with time zone,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "processed_updates" (
	"channel" text NOT NULL,
	"update_key" text NOT NULL,
	"processed_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "processed_updates_channel_update_key_pk" PRIMARY KEY("channel","update_key")
);
--> statement-breakpoint
ALTER TABLE "admins" ADD CONSTRAINT "admins_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "application_history" ADD CONSTRAINT "application_history_application_id_applications_id_fk" FOREIGN KEY ("application_id") REFERENCES "public"."applications"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "applications" ADD CONSTRAINT "applications_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "applications" ADD CONSTRAINT "applications_from_org_id_organizations_id_fk" FOREIGN KEY ("from_org_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "applications" ADD CONSTRAINT "applications_to_org_id_organizations_id_fk" FOREIGN KEY ("to_org_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "applications" ADD CONSTRAINT "applications_assigned_branch_id_organizations_id_fk" FOREIGN KEY ("assigned_branch_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "applications" ADD CONSTRAINT "applications_deciding_org_id_organizations_id_fk" FOREIGN KEY ("deciding_org_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chat_identities" ADD CONSTRAINT "chat_identities_member_id_members_id_fk" FOREIGN KEY ("member_id") REFERENCES "public"."members"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chat_identities" ADD CONSTRAINT "chat_identities_admin_id_admins_id_fk" FOREIGN KEY ("admin_id") REFERENCES "public"."admins"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "graduation_change_requests" ADD CONSTRAINT "graduation_change_requests_branch_id_organizations_id_fk" FOREIGN KEY ("branch_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "indicator_snapshots" ADD CONSTRAINT "indicator_snapshots_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "members" ADD CONSTRAINT "members_branch_id_organizations_id_fk" FOREIGN KEY ("branch_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "members" ADD CONSTRAINT "members_graduation_branch_id_organizations_id_fk" FOREIGN KEY ("graduation_branch_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "organizations" ADD CONSTRAINT "organizations_parent_id_organizations_id_fk" FOREIGN KEY ("parent_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "organizations" ADD CONSTRAINT "organizations_province_id_organizations_id_fk" FOREIGN KEY ("province_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "organizations" ADD CONSTRAINT "organizations_school_id_organizations_id_fk" FOREIGN KEY ("school_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "admins_org_idx" ON "admins" USING btree ("org_id");--> statement-breakpoint
CREATE INDEX "application_history_app_idx" ON "application_history" USING btree ("application_id","id");--> statement-breakpoint
CREATE INDEX "applications_deciding_state_idx" ON "applications" USING btree ("deciding_org_id","state","stage_since");--> statement-breakpoint
CREATE INDEX "applications_member_idx" ON "applications" USING btree ("member_id","created_at");--> statement-breakpoint
CREATE INDEX "applications_to_org_idx" ON "applications" USING btree ("to_org_id");--> statement-breakpoint
CREATE INDEX "applications_state_stage_idx" ON "applications" USING btree ("state","stage_since");--> statement-breakpoint
CREATE INDEX "applications_year_idx" ON "applications" USING btree ("graduation_year");--> statement-breakpoint
CREATE UNIQUE INDEX "chat_identities_user_uq" ON "chat_identities" USING btree ("channel","external_user_id");--> statement-breakpoint
CREATE INDEX "chat_identities_member_idx" ON "chat_identities" USING btree ("member_id");--> statement-breakpoint
CREATE INDEX "chat_identities_admin_idx" ON "chat_identities" USING btree ("admin_id");--> statement-breakpoint
CREATE INDEX "graduation_change_approver_idx" ON "graduation_change_requests" USING btree ("approver_org_id","state");--> statement-breakpoint
CREATE INDEX "mark_history_org_idx" ON "mark_history" USING btree ("org_id");--> statement-breakpoint
CREATE INDEX "mark_history_member_idx" ON "mark_history" USING btree ("member_id");--> statement-breakpoint
CREATE UNIQUE INDEX "members_id_number_uq" ON "members" USING btree ("id_number");--> statement-breakpoint
CREATE INDEX "members_branch_idx" ON "members" USING btree ("branch_id");--> statement-breakpoint
CREATE INDEX "members_graduation_idx" ON "members" USING btree ("graduation_year","graduation_branch_id");--> statement-breakpoint
CREATE INDEX "members_name_idx" ON "members" USING btree ("name");--> statement-breakpoint
CREATE INDEX "organizations_parent_idx" ON "organizations" USING btree ("parent_id");--> statement-breakpoint
CREATE INDEX "organizations_path_idx" ON "organizations" USING btree ("path" text_pattern_ops);--> statement-breakpoint
CREATE INDEX "organizations_province_name_idx" ON "organizations" USING btree ("province_id","name");--> statement-breakpoint
CREATE INDEX "organizations_category_idx" ON "organizations" USING btree ("category");--> statement-breakpoint
CREATE UNIQUE INDEX "outbox_dedupe_uq" ON "outbox" USING btree ("dedupe_key");--> statement-breakpoint
CREATE INDEX "outbox_due_idx" ON "outbox" USING btree ("available_at") WHERE "outbox"."status" in ('queued', 'sending');