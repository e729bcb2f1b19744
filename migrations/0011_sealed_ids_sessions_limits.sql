CREATE TABLE "member_lookups" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"admin_id" integer NOT NULL,
	"purpose" text NOT NULL,
	"id_hash" text NOT NULL,
	"matched" boolean NOT NULL,
	"performed" boolean NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rate_limits" (
	"key" text PRIMARY KEY NOT NULL,
	"tat" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webchat_chats" (
	"chat_id" text PRIMARY KEY NOT NULL,
	"last_seq" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webchat_messages" (
	"chat_id" text NOT NULL,
	"seq" bigint NOT NULL,
	"sealed" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webchat_messages_chat_id_seq_pk" PRIMARY KEY("chat_id","seq")
);
--> statement-breakpoint
CREATE TABLE "webchat_sessions" (
	"token_hash" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"last_seen_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "binding_attempts" DISABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "webchat_inbox" DISABLE ROW LEVEL SECURITY;--> statement-breakpoint
DROP TABLE "binding_attempts" CASCADE;--> statement-breakpoint
DROP TABLE "webchat_inbox" CASCADE;--> statement-breakpoint
DROP INDEX "members_id_number_uq";--> statement-breakpoint
ALTER TABLE "members" ALTER COLUMN "id_number" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "members" ALTER COLUMN "birth_date" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "binding_codes" ADD COLUMN "issued_by_org_id" integer;--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "id_hash" text;--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "id_sealed" text;--> statement-breakpoint
ALTER TABLE "member_lookups" ADD CONSTRAINT "member_lookups_admin_id_admins_id_fk" FOREIGN KEY ("admin_id") REFERENCES "public"."admins"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "member_lookups_admin_idx" ON "member_lookups" USING btree ("admin_id","at");--> statement-breakpoint
CREATE INDEX "rate_limits_tat_idx" ON "rate_limits" USING btree ("tat");--> statement-breakpoint
CREATE INDEX "webchat_sessions_expires_idx" ON "webchat_sessions" USING btree ("expires_at");--> statement-breakpoint
ALTER TABLE "binding_codes" ADD CONSTRAINT "binding_codes_issued_by_org_id_organizations_id_fk" FOREIGN KEY ("issued_by_org_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "binding_codes_live_idx" ON "binding_codes" USING btree ("issued_by_org_id","expires_at") WHERE "binding_codes"."used_at" is null;--> statement-breakpoint
CREATE INDEX "binding_codes_live_all_idx" ON "binding_codes" USING btree ("expires_at") WHERE "binding_codes"."used_at" is null;--> statement-breakpoint
CREATE INDEX "binding_codes_member_idx" ON "binding_codes" USING btree ("member_id") WHERE "binding_codes"."used_at" is null;--> statement-breakpoint
CREATE INDEX "binding_codes_admin_idx" ON "binding_codes" USING btree ("admin_id") WHERE "binding_codes"."used_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "members_id_hash_uq" ON "members" USING btree ("id_hash");--> statement-breakpoint
ALTER TABLE "members" ADD CONSTRAINT "members_id_sealed_ck" CHECK (("members"."id_hash" is not null and "members"."id_sealed" is not null) or "members"."id_number" is not null);