CREATE TYPE "public"."order_status" AS ENUM('unpaid', 'on_hold', 'awaiting_shipment', 'shipped', 'completed', 'cancelled', 'returned');--> statement-breakpoint
CREATE TYPE "public"."sales_rollup_grain" AS ENUM('order', 'category', 'product');--> statement-breakpoint
CREATE TABLE "order_lines" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"order_id" uuid NOT NULL,
	"line_key" text NOT NULL,
	"seller_sku" text NOT NULL,
	"remote_item_id" text,
	"remote_variant_id" text,
	"title" text,
	"variant_id" uuid,
	"product_id" uuid,
	"category" text,
	"quantity" integer NOT NULL,
	"unit_price_idr" bigint NOT NULL,
	"cancelled_quantity" integer DEFAULT 0 NOT NULL,
	"returned_quantity" integer DEFAULT 0 NOT NULL,
	"connection_id" uuid NOT NULL,
	"channel" "channel" NOT NULL,
	"crafter_id" uuid NOT NULL,
	"sale_day" date NOT NULL,
	"kelurahan_code" text NOT NULL,
	"kecamatan_code" text NOT NULL,
	"counted" boolean NOT NULL,
	"gross_idr" bigint NOT NULL,
	"net_idr" bigint NOT NULL,
	"units" integer NOT NULL,
	"stock_sold" integer DEFAULT 0 NOT NULL,
	"stock_cancelled" integer DEFAULT 0 NOT NULL,
	"stock_returned" integer DEFAULT 0 NOT NULL,
	"stock_moves" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "order_lines_quantity_nonneg" CHECK ("order_lines"."quantity" >= 0),
	CONSTRAINT "order_lines_price_nonneg" CHECK ("order_lines"."unit_price_idr" >= 0),
	CONSTRAINT "order_lines_taken_back" CHECK ("order_lines"."cancelled_quantity" >= 0 and "order_lines"."returned_quantity" >= 0 and "order_lines"."cancelled_quantity" + "order_lines"."returned_quantity" <= "order_lines"."quantity")
);
--> statement-breakpoint
CREATE TABLE "orders" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"connection_id" uuid NOT NULL,
	"channel" "channel" NOT NULL,
	"crafter_id" uuid NOT NULL,
	"external_order_id" text NOT NULL,
	"status" "order_status" NOT NULL,
	"placed_at" timestamp with time zone NOT NULL,
	"paid_at" timestamp with time zone,
	"platform_updated_at" timestamp with time zone NOT NULL,
	"sale_day" date NOT NULL,
	"counted" boolean NOT NULL,
	"kelurahan_code" text NOT NULL,
	"kecamatan_code" text NOT NULL,
	"oversold" boolean DEFAULT false NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sales_daily_rollups" (
	"grain" "sales_rollup_grain" NOT NULL,
	"day" date NOT NULL,
	"connection_id" uuid NOT NULL,
	"channel" "channel" NOT NULL,
	"crafter_id" uuid NOT NULL,
	"kecamatan_code" text NOT NULL,
	"kelurahan_code" text NOT NULL,
	"category" text,
	"product_id" uuid,
	"gross_idr" bigint NOT NULL,
	"net_idr" bigint NOT NULL,
	"units" bigint NOT NULL,
	"orders" bigint NOT NULL,
	CONSTRAINT "sales_daily_rollups_key" UNIQUE NULLS NOT DISTINCT("grain","day","connection_id","crafter_id","kelurahan_code","category","product_id")
);
--> statement-breakpoint
ALTER TABLE "order_lines" ADD CONSTRAINT "order_lines_order_id_orders_id_fk" FOREIGN KEY ("order_id") REFERENCES "public"."orders"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_lines" ADD CONSTRAINT "order_lines_variant_id_variants_id_fk" FOREIGN KEY ("variant_id") REFERENCES "public"."variants"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_lines" ADD CONSTRAINT "order_lines_product_id_products_id_fk" FOREIGN KEY ("product_id") REFERENCES "public"."products"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_connection_id_channel_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."channel_connections"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_crafter_id_crafters_id_fk" FOREIGN KEY ("crafter_id") REFERENCES "public"."crafters"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "order_lines_order_line_idx" ON "order_lines" USING btree ("order_id","line_key");--> statement-breakpoint
CREATE INDEX "order_lines_day_idx" ON "order_lines" USING btree ("sale_day","connection_id");--> statement-breakpoint
CREATE INDEX "order_lines_unmatched_idx" ON "order_lines" USING btree ("crafter_id","created_at","id") WHERE "order_lines"."variant_id" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "orders_connection_external_idx" ON "orders" USING btree ("connection_id","external_order_id");--> statement-breakpoint
CREATE INDEX "orders_crafter_day_idx" ON "orders" USING btree ("crafter_id","sale_day");--> statement-breakpoint
CREATE INDEX "orders_day_idx" ON "orders" USING btree ("sale_day");--> statement-breakpoint
CREATE INDEX "sales_daily_rollups_kecamatan_idx" ON "sales_daily_rollups" USING btree ("grain","kecamatan_code","day");--> statement-breakpoint
CREATE INDEX "sales_daily_rollups_crafter_idx" ON "sales_daily_rollups" USING btree ("grain","crafter_id","day");