CREATE TYPE "public"."listing_remote_status" AS ENUM('live', 'in_review', 'inactive', 'deleted', 'refused');--> statement-breakpoint
ALTER TABLE "channel_listings" ADD COLUMN "remote_status" "listing_remote_status";--> statement-breakpoint
ALTER TABLE "channel_listings" ADD COLUMN "remote_status_checked_at" timestamp with time zone;