-- Default category mappings for the demo categories, matching the sandbox's seeded catalogues
-- (sandbox/shopee/catalog.ts, sandbox/shopee/logistics.ts, sandbox/tiktok-shop/categories.ts):
-- leaf category, every mandatory / is_required attribute with a fixed value, an accepted brand, and
-- Shopee's "Hemat" logistics channel (fixed fee, no package size needed). TikTok Shop ceramics and
-- snacks require package dimensions. The council changes them through PUT /v1/category-mappings.
-- ON CONFLICT DO NOTHING: a mapping the council already maintains is never overwritten.
INSERT INTO "channel_category_mappings"
  ("channel", "canonical_category", "channel_category_id", "required_attributes", "brand_id", "brand_name", "logistics_channel_id", "package_cm")
VALUES
  ('shopee', 'batik', '100101',
   '[{"id":"200001","name":"Bahan","valueId":"3001","value":"Katun"},{"id":"200005","name":"Teknik Batik","valueId":"3201","value":"Tulis"}]',
   '1100004', 'Dekranasda Tangsel', '8005', NULL),
  ('shopee', 'kerajinan/anyaman', '100111',
   '[{"id":"200001","name":"Bahan","valueId":"3004","value":"Pandan"}]',
   '1100002', 'Anyaman Ciater', '8005', NULL),
  ('shopee', 'kerajinan/keramik', '100012',
   '[{"id":"200006","name":"Bahan Keramik","valueId":"3301","value":"Gerabah"}]',
   '1100003', 'Gerabah Pondok Aren', '8005', NULL),
  ('shopee', 'makanan/camilan', '100401',
   '[{"id":"200007","name":"Masa Penyimpanan","valueId":"3402","value":"3 Bulan"},{"id":"200008","name":"No. Izin P-IRT / BPOM","value":"P-IRT 2093674010123-27"}]',
   '1200002', 'Dapur Pamulang', '8005', NULL),
  ('tiktok_shop', 'batik', '600101',
   '[{"id":"101001","name":"Bahan Kain","valueId":"1010010","value":"Katun"},{"id":"101002","name":"Teknik Batik","valueId":"1010020","value":"Tulis"}]',
   '7082427311584347906', 'Batik Tangsel', NULL, NULL),
  ('tiktok_shop', 'kerajinan/anyaman', '600201',
   '[{"id":"102001","name":"Bahan Anyaman","valueId":"1020010","value":"Pandan"}]',
   '7082427311584347905', 'Kriya Ciater', NULL, NULL),
  ('tiktok_shop', 'kerajinan/keramik', '600301',
   '[{"id":"103001","name":"Bahan Keramik","valueId":"1030011","value":"Gerabah"}]',
   '7082427311584347907', 'Gerabah Serpong', NULL, '{"length":25,"width":20,"height":20}'),
  ('tiktok_shop', 'makanan/camilan', '602101',
   '[{"id":"104001","name":"Masa Simpan","valueId":"1040011","value":"3 Bulan"},{"id":"104002","name":"Nomor Izin Edar (PIRT/BPOM)","value":"P-IRT 2093674010123-27"}]',
   '7082427311584347908', 'Camilan Pamulang', NULL, '{"length":20,"width":15,"height":10}')
ON CONFLICT ("channel", "canonical_category") DO NOTHING;
