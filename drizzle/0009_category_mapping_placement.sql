ALTER TABLE "channel_category_mappings" ADD COLUMN "logistics_size_id" text;--> statement-breakpoint
ALTER TABLE "channel_category_mappings" ADD COLUMN "package_cm" jsonb;--> statement-breakpoint
ALTER TABLE "channel_category_mappings" ADD COLUMN "updated_by_user_id" uuid;--> statement-breakpoint
ALTER TABLE "channel_category_mappings" ADD CONSTRAINT "channel_category_mappings_updated_by_user_id_users_id_fk" FOREIGN KEY ("updated_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;