CREATE TYPE "public"."channel" AS ENUM('shopee', 'tiktok_shop', 'partner_brand');--> statement-breakpoint
CREATE TYPE "public"."connection_status" AS ENUM('active', 'reauth_required', 'disconnected');--> statement-breakpoint
CREATE TYPE "public"."price_markup_kind" AS ENUM('none', 'percent', 'fixed');--> statement-breakpoint
CREATE TYPE "public"."listing_state" AS ENUM('pending', 'syncing', 'live', 'needs_attention', 'failed', 'reauth_required', 'delisted');--> statement-breakpoint
CREATE TYPE "public"."push_kind" AS ENUM('create', 'update', 'price_stock', 'delist', 'lookup');--> statement-breakpoint
CREATE TYPE "public"."push_outcome" AS ENUM('success', 'retryable', 'throttled', 'permanent', 'reauth_required', 'needs_attention');--> statement-breakpoint
CREATE TABLE "channel_connections" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"crafter_id" uuid NOT NULL,
	"channel" "channel" NOT NULL,
	"external_shop_id" text NOT NULL,
	"shop_cipher" text,
	"shop_name" text,
	"partner_programme_id" text,
	"warehouse_id" text,
	"status" "connection_status" DEFAULT 'active' NOT NULL,
	"status_reason" text,
	"status_reason_id" text,
	"secrets_sealed" text,
	"secrets_key_id" text,
	"token_expires_at" timestamp with time zone,
	"refresh_expires_at" timestamp with time zone,
	"refresh_lease_id" uuid,
	"refresh_lease_until" timestamp with time zone,
	"last_refreshed_at" timestamp with time zone,
	"last_success_at" timestamp with time zone,
	"last_error_at" timestamp with time zone,
	"last_error_code" text,
	"last_error" text,
	"consecutive_failures" integer DEFAULT 0 NOT NULL,
	"price_markup_kind" "price_markup_kind" DEFAULT 'none' NOT NULL,
	"price_markup_value" bigint DEFAULT 0 NOT NULL,
	"price_rounding_step_idr" integer DEFAULT 1 NOT NULL,
	"stock_buffer_percent" integer DEFAULT 0 NOT NULL,
	"stock_buffer_max_units" integer,
	"created_by_user_id" uuid,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"disconnected_at" timestamp with time zone,
	CONSTRAINT "channel_connections_secrets_keyed" CHECK (("channel_connections"."secrets_sealed" is null) = ("channel_connections"."secrets_key_id" is null)),
	CONSTRAINT "channel_connections_partner_programme" CHECK (("channel_connections"."channel" = 'partner_brand') = ("channel_connections"."partner_programme_id" is not null)),
	CONSTRAINT "channel_connections_rounding_step" CHECK ("channel_connections"."price_rounding_step_idr" >= 1),
	CONSTRAINT "channel_connections_markup_nonneg" CHECK ("channel_connections"."price_markup_value" >= 0),
	CONSTRAINT "channel_connections_stock_buffer" CHECK ("channel_connections"."stock_buffer_percent" between 0 and 100 and ("channel_connections"."stock_buffer_max_units" is null or "channel_connections"."stock_buffer_max_units" >= 0))
);
--> statement-breakpoint
CREATE TABLE "channel_sync_cursors" (
	"connection_id" uuid NOT NULL,
	"stream" text NOT NULL,
	"watermark" timestamp with time zone,
	"cursor" jsonb,
	"last_success_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "channel_sync_cursors_connection_id_stream_pk" PRIMARY KEY("connection_id","stream")
);
--> statement-breakpoint
CREATE TABLE "connection_auth_states" (
	"nonce" text PRIMARY KEY NOT NULL,
	"crafter_id" uuid NOT NULL,
	"channel" "channel" NOT NULL,
	"created_by_user_id" uuid,
	"expires_at" timestamp with time zone NOT NULL,
	"consumed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "channel_category_mappings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"channel" "channel" NOT NULL,
	"canonical_category" text NOT NULL,
	"channel_category_id" text NOT NULL,
	"required_attributes" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"brand_id" text,
	"brand_name" text,
	"logistics_channel_id" text,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "channel_listing_variants" (
	"listing_id" uuid NOT NULL,
	"variant_id" uuid NOT NULL,
	"remote_model_id" text,
	"remote_sku" text,
	"pushed_price_idr" bigint,
	"pushed_stock" integer,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "channel_listing_variants_listing_id_variant_id_pk" PRIMARY KEY("listing_id","variant_id")
);
--> statement-breakpoint
CREATE TABLE "channel_listings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"connection_id" uuid NOT NULL,
	"product_id" uuid NOT NULL,
	"state" "listing_state" DEFAULT 'pending' NOT NULL,
	"remote_item_id" text,
	"pushed_version" integer,
	"pushed_content_hash" text,
	"pushed_offer_hash" text,
	"queued_version" integer,
	"queued_at" timestamp with time zone,
	"next_attempt_at" timestamp with time zone,
	"last_error_code" text,
	"last_error" text,
	"last_error_id" text,
	"last_error_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_attempt_at" timestamp with time zone,
	"last_success_at" timestamp with time zone,
	"create_intent_id" uuid,
	"create_intent_sku" text,
	"create_intent_started_at" timestamp with time zone,
	"price_markup_kind" "price_markup_kind",
	"price_markup_value" bigint,
	"price_rounding_step_idr" integer,
	"stock_buffer_percent" integer,
	"stock_buffer_max_units" integer,
	"delisted_at" timestamp with time zone,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "channel_listings_markup_override" CHECK (("channel_listings"."price_markup_kind" is null) = ("channel_listings"."price_markup_value" is null)),
	CONSTRAINT "channel_listings_overrides_valid" CHECK (("channel_listings"."price_rounding_step_idr" is null or "channel_listings"."price_rounding_step_idr" >= 1)
        and ("channel_listings"."price_markup_value" is null or "channel_listings"."price_markup_value" >= 0)
        and ("channel_listings"."stock_buffer_percent" is null or "channel_listings"."stock_buffer_percent" between 0 and 100)
        and ("channel_listings"."stock_buffer_max_units" is null or "channel_listings"."stock_buffer_max_units" >= 0)),
	CONSTRAINT "channel_listings_intent_complete" CHECK (("channel_listings"."create_intent_id" is null) = ("channel_listings"."create_intent_sku" is null)
        and ("channel_listings"."create_intent_id" is null) = ("channel_listings"."create_intent_started_at" is null))
);
--> statement-breakpoint
CREATE TABLE "listing_push_attempts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"listing_id" uuid NOT NULL,
	"kind" "push_kind" NOT NULL,
	"product_version" integer NOT NULL,
	"outcome" "push_outcome" NOT NULL,
	"error_code" text,
	"error" text,
	"error_id" text,
	"remote_calls" integer DEFAULT 0 NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "channel_connections" ADD CONSTRAINT "channel_connections_crafter_id_crafters_id_fk" FOREIGN KEY ("crafter_id") REFERENCES "public"."crafters"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channel_connections" ADD CONSTRAINT "channel_connections_created_by_user_id_users_id_fk" FOREIGN KEY ("created_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channel_sync_cursors" ADD CONSTRAINT "channel_sync_cursors_connection_id_channel_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."channel_connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "connection_auth_states" ADD CONSTRAINT "connection_auth_states_crafter_id_crafters_id_fk" FOREIGN KEY ("crafter_id") REFERENCES "public"."crafters"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "connection_auth_states" ADD CONSTRAINT "connection_auth_states_created_by_user_id_users_id_fk" FOREIGN KEY ("created_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channel_listing_variants" ADD CONSTRAINT "channel_listing_variants_listing_id_channel_listings_id_fk" FOREIGN KEY ("listing_id") REFERENCES "public"."channel_listings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channel_listing_variants" ADD CONSTRAINT "channel_listing_variants_variant_id_variants_id_fk" FOREIGN KEY ("variant_id") REFERENCES "public"."variants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channel_listings" ADD CONSTRAINT "channel_listings_connection_id_channel_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."channel_connections"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "channel_listings" ADD CONSTRAINT "channel_listings_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "listing_push_attempts" ADD CONSTRAINT "listing_push_attempts_listing_id_channel_listings_id_fk" FOREIGN KEY ("listing_id") REFERENCES "public"."channel_listings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "channel_connections_shop_idx" ON "channel_connections" USING btree ("channel","external_shop_id") WHERE "channel_connections"."status" <> 'disconnected' and "channel_connections"."channel" <> 'partner_brand';--> statement-breakpoint
CREATE UNIQUE INDEX "channel_connections_partner_idx" ON "channel_connections" USING btree ("crafter_id","partner_programme_id") WHERE "channel_connections"."status" <> 'disconnected' and "channel_connections"."channel" = 'partner_brand';--> statement-breakpoint
CREATE INDEX "channel_connections_crafter_idx" ON "channel_connections" USING btree ("crafter_id","created_at","id");--> statement-breakpoint
CREATE INDEX "channel_connections_refresh_due_idx" ON "channel_connections" USING btree ("token_expires_at") WHERE "channel_connections"."status" = 'active' and "channel_connections"."token_expires_at" is not null;--> statement-breakpoint
CREATE INDEX "connection_auth_states_expiry_idx" ON "connection_auth_states" USING btree ("expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "channel_category_mappings_idx" ON "channel_category_mappings" USING btree ("channel","canonical_category");--> statement-breakpoint
CREATE INDEX "channel_listing_variants_variant_idx" ON "channel_listing_variants" USING btree ("variant_id");--> statement-breakpoint
CREATE UNIQUE INDEX "channel_listings_connection_product_idx" ON "channel_listings" USING btree ("connection_id","product_id");--> statement-breakpoint
CREATE INDEX "channel_listings_product_idx" ON "channel_listings" USING btree ("product_id");--> statement-breakpoint
CREATE INDEX "channel_listings_connection_state_idx" ON "channel_listings" USING btree ("connection_id","state");--> statement-breakpoint
CREATE UNIQUE INDEX "channel_listings_remote_item_idx" ON "channel_listings" USING btree ("connection_id","remote_item_id") WHERE "channel_listings"."remote_item_id" is not null;--> statement-breakpoint
CREATE INDEX "listing_push_attempts_listing_idx" ON "listing_push_attempts" USING btree ("listing_id","started_at");