CREATE TABLE "channel_image_uploads" (
	"connection_id" uuid NOT NULL,
	"sha256" text NOT NULL,
	"remote_image_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "channel_image_uploads_connection_id_sha256_pk" PRIMARY KEY("connection_id","sha256")
);
--> statement-breakpoint
ALTER TABLE "channel_image_uploads" ADD CONSTRAINT "channel_image_uploads_connection_id_channel_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."channel_connections"("id") ON DELETE cascade ON UPDATE no action;