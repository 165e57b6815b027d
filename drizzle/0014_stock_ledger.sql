CREATE TYPE "public"."stock_movement_kind" AS ENUM('sale', 'cancellation', 'return', 'count', 'adjustment', 'import');--> statement-breakpoint
CREATE TABLE "stock_movements" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"variant_id" uuid NOT NULL,
	"product_id" uuid NOT NULL,
	"delta" integer NOT NULL,
	"on_hand_after" integer NOT NULL,
	"stock_revision" integer NOT NULL,
	"kind" "stock_movement_kind" NOT NULL,
	"dedupe_key" text NOT NULL,
	"order_line_id" uuid,
	"actor_user_id" uuid,
	"note" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "variants" DROP CONSTRAINT "variants_stock_nonneg";--> statement-breakpoint
ALTER TABLE "products" ADD COLUMN "stock_revision" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "products" ADD COLUMN "version_stock_revision" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "channel_listings" ADD COLUMN "pushed_stock_revision" integer;--> statement-breakpoint
ALTER TABLE "stock_movements" ADD CONSTRAINT "stock_movements_variant_id_variants_id_fk" FOREIGN KEY ("variant_id") REFERENCES "public"."variants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stock_movements" ADD CONSTRAINT "stock_movements_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "stock_movements_dedupe_idx" ON "stock_movements" USING btree ("dedupe_key");--> statement-breakpoint
CREATE UNIQUE INDEX "stock_movements_product_revision_idx" ON "stock_movements" USING btree ("product_id","stock_revision");--> statement-breakpoint
CREATE INDEX "stock_movements_variant_revision_idx" ON "stock_movements" USING btree ("variant_id","stock_revision");--> statement-breakpoint
CREATE INDEX "stock_movements_order_line_idx" ON "stock_movements" USING btree ("order_line_id") WHERE "stock_movements"."order_line_id" is not null;