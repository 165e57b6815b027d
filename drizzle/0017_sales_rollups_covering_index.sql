-- The sales summary reads a range of days at one grain and sums figures by a few dimensions; this
-- index answers it from the index alone (an index-only scan once autovacuum has set the visibility
-- map), without visiting the table's pages. drizzle-kit cannot declare INCLUDE columns, hence SQL.
CREATE INDEX "sales_daily_rollups_day_cover_idx" ON "sales_daily_rollups" USING btree ("grain", "day")
  INCLUDE ("channel", "crafter_id", "kecamatan_code", "kelurahan_code", "category", "product_id",
           "gross_idr", "net_idr", "units", "orders");
