ALTER TABLE "indicator_snapshots" ADD COLUMN "g" integer;--> statement-breakpoint
ALTER TABLE "indicator_snapshots" ADD COLUMN "initiated" integer;