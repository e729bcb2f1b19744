CREATE TABLE "targets" (
	"org_id" integer NOT NULL,
	"graduation_year" smallint NOT NULL,
	"indicator" text NOT NULL,
	"due" date NOT NULL,
	"percent" smallint NOT NULL,
	"set_by_admin_id" integer,
	"set_at" timestamp with time zone NOT NULL,
	CONSTRAINT "targets_org_id_graduation_year_indicator_due_pk" PRIMARY KEY("org_id","graduation_year","indicator","due"),
	CONSTRAINT "targets_percent_ck" CHECK ("targets"."percent" between 1 and 100)
);
--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "lost_contact_reason" text;--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "lost_contact_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "targets" ADD CONSTRAINT "targets_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "targets" ADD CONSTRAINT "targets_set_by_admin_id_admins_id_fk" FOREIGN KEY ("set_by_admin_id") REFERENCES "public"."admins"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "members_retained_idx" ON "members" USING btree ("retained_since") WHERE "members"."retained_since" is not null;