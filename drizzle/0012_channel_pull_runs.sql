CREATE TYPE "public"."pull_run_reason" AS ENUM('schedule', 'webhook', 'nightly', 'manual', 'upload');--> statement-breakpoint
CREATE TYPE "public"."pull_run_status" AS ENUM('running', 'succeeded', 'failed');--> statement-breakpoint
CREATE TABLE "channel_pull_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"connection_id" uuid NOT NULL,
	"stream" text NOT NULL,
	"reason" "pull_run_reason" NOT NULL,
	"window_from" timestamp with time zone NOT NULL,
	"window_to" timestamp with time zone NOT NULL,
	"status" "pull_run_status" DEFAULT 'running' NOT NULL,
	"fetched" integer DEFAULT 0 NOT NULL,
	"inserted" integer DEFAULT 0 NOT NULL,
	"updated" integer DEFAULT 0 NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	"error" text,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "channel_pull_runs" ADD CONSTRAINT "channel_pull_runs_connection_id_channel_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."channel_connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "channel_pull_runs_connection_idx" ON "channel_pull_runs" USING btree ("connection_id","stream","window_from");--> statement-breakpoint
CREATE INDEX "channel_pull_runs_started_idx" ON "channel_pull_runs" USING btree ("started_at");