CREATE TABLE "wecom_cards" (
	"task_id" text PRIMARY KEY NOT NULL,
	"buttons" jsonb NOT NULL,
	"response_code" text,
	"code_issued_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "wecom_choices" (
	"user_id" text PRIMARY KEY NOT NULL,
	"tokens" jsonb NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "wecom_sends" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"sent_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "wecom_sends_user_idx" ON "wecom_sends" USING btree ("user_id","sent_at");