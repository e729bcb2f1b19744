CREATE TABLE "inbound_messages" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"channel" text NOT NULL,
	"update_key" text NOT NULL,
	"chat_key" text NOT NULL,
	"payload" jsonb NOT NULL,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"available_at" timestamp with time zone NOT NULL,
	"claimed_at" timestamp with time zone,
	"last_error" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "send_log" (
	"key" text NOT NULL,
	"at" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "wecom_sends" DISABLE ROW LEVEL SECURITY;--> statement-breakpoint
DROP TABLE "wecom_sends" CASCADE;--> statement-breakpoint
CREATE UNIQUE INDEX "inbound_messages_key_uq" ON "inbound_messages" USING btree ("channel","update_key");--> statement-breakpoint
CREATE INDEX "inbound_messages_head_idx" ON "inbound_messages" USING btree ("channel","chat_key","id") WHERE "inbound_messages"."status" in ('queued', 'working');--> statement-breakpoint
CREATE INDEX "send_log_key_at_idx" ON "send_log" USING btree ("key","at");--> statement-breakpoint
CREATE INDEX "deliveries_head_idx" ON "deliveries" USING btree ("channel","chat_id","id") WHERE "deliveries"."status" in ('queued', 'sending');--> statement-breakpoint
CREATE INDEX "deliveries_dead_idx" ON "deliveries" USING btree ("id") WHERE "deliveries"."status" = 'dead';