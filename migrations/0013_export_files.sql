CREATE TABLE "webchat_files" (
	"id" text PRIMARY KEY NOT NULL,
	"session_hash" text NOT NULL,
	"name" text NOT NULL,
	"mime" text NOT NULL,
	"sealed" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "zhtj_entries" (
	"application_id" integer PRIMARY KEY NOT NULL,
	"entered_by_admin_id" integer NOT NULL,
	"entered_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "zhtj_entries" ADD CONSTRAINT "zhtj_entries_application_id_applications_id_fk" FOREIGN KEY ("application_id") REFERENCES "public"."applications"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "zhtj_entries" ADD CONSTRAINT "zhtj_entries_entered_by_admin_id_admins_id_fk" FOREIGN KEY ("entered_by_admin_id") REFERENCES "public"."admins"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "webchat_files_expires_idx" ON "webchat_files" USING btree ("expires_at");