CREATE TABLE "chat_bindings" (
	"channel" text NOT NULL,
	"chat_id" text NOT NULL,
	"org_id" integer NOT NULL,
	"bound_by_admin_id" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "chat_bindings_channel_chat_id_pk" PRIMARY KEY("channel","chat_id")
);
--> statement-breakpoint
CREATE TABLE "deliveries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"outbox_id" bigint NOT NULL,
	"channel" text NOT NULL,
	"chat_id" text NOT NULL,
	"locale" text,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"available_at" timestamp with time zone NOT NULL,
	"claimed_at" timestamp with time zone,
	"delivered_at" timestamp with time zone,
	"platform_message_id" text,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sent_messages" (
	"channel" text NOT NULL,
	"chat_id" text NOT NULL,
	"ref" text NOT NULL,
	"platform_message_id" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sent_messages_channel_chat_id_ref_pk" PRIMARY KEY("channel","chat_id","ref")
);
--> statement-breakpoint
DROP INDEX "applications_outcome_idx";--> statement-breakpoint
ALTER TABLE "chat_bindings" ADD CONSTRAINT "chat_bindings_org_id_organizations_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."organizations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chat_bindings" ADD CONSTRAINT "chat_bindings_bound_by_admin_id_admins_id_fk" FOREIGN KEY ("bound_by_admin_id") REFERENCES "public"."admins"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_outbox_id_outbox_id_fk" FOREIGN KEY ("outbox_id") REFERENCES "public"."outbox"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "chat_bindings_org_idx" ON "chat_bindings" USING btree ("org_id");--> statement-breakpoint
CREATE UNIQUE INDEX "deliveries_once_uq" ON "deliveries" USING btree ("outbox_id","channel","chat_id");--> statement-breakpoint
CREATE INDEX "deliveries_due_idx" ON "deliveries" USING btree ("available_at") WHERE "deliveries"."status" in ('queued', 'sending');--> statement-breakpoint
CREATE INDEX "applications_outcome_idx" ON "applications" USING btree ("member_id","id" DESC NULLS LAST) WHERE state not in ('rejected', 'withdrawn', 'auto_returned');