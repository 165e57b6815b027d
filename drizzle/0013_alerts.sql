CREATE TYPE "public"."alert_kind" AS ENUM('connection_reauth_required', 'pull_failing', 'order_oversold', 'listing_failed');--> statement-breakpoint
CREATE TABLE "alerts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" "alert_kind" NOT NULL,
	"crafter_id" uuid NOT NULL,
	"dedupe_key" text NOT NULL,
	"message_en" text NOT NULL,
	"message_id" text NOT NULL,
	"subject" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"count" integer DEFAULT 1 NOT NULL,
	"opened_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone,
	CONSTRAINT "alerts_count_positive" CHECK ("alerts"."count" >= 1)
);
--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_crafter_id_crafters_id_fk" FOREIGN KEY ("crafter_id") REFERENCES "public"."crafters"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_open_dedupe_idx" ON "alerts" USING btree ("dedupe_key") WHERE "alerts"."resolved_at" is null;--> statement-breakpoint
CREATE INDEX "alerts_crafter_idx" ON "alerts" USING btree ("crafter_id","id");--> statement-breakpoint
CREATE INDEX "alerts_open_idx" ON "alerts" USING btree ("id") WHERE "alerts"."resolved_at" is null;