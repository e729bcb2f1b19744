DROP INDEX "outbox_due_idx";--> statement-breakpoint
CREATE INDEX "outbox_queued_idx" ON "outbox" USING btree ("id") WHERE "outbox"."status" = 'queued';--> statement-breakpoint
ALTER TABLE "outbox" DROP COLUMN "attempts";--> statement-breakpoint
ALTER TABLE "outbox" DROP COLUMN "available_at";--> statement-breakpoint
ALTER TABLE "outbox" DROP COLUMN "claimed_at";--> statement-breakpoint
ALTER TABLE "outbox" DROP COLUMN "delivered_at";--> statement-breakpoint
ALTER TABLE "outbox" DROP COLUMN "last_error";