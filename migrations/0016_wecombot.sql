CREATE TABLE "connection_leases" (
	"name" text PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "wecombot_cards" (
	"task_id" text PRIMARY KEY NOT NULL,
	"chat_id" text NOT NULL,
	"card" jsonb NOT NULL,
	"click_req_id" text,
	"clicked_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "chat_bindings" ADD COLUMN "locale" text;