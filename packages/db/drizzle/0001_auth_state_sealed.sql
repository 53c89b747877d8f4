ALTER TABLE "wa_auth_creds" ALTER COLUMN "creds" SET DATA TYPE text USING "creds"::text;--> statement-breakpoint
ALTER TABLE "wa_auth_keys" ALTER COLUMN "value" SET DATA TYPE text USING "value"::text;--> statement-breakpoint
ALTER TABLE "wa_auth_creds" ADD COLUMN "seal_key_id" text;--> statement-breakpoint
ALTER TABLE "wa_auth_keys" ADD COLUMN "seal_key_id" text;--> statement-breakpoint
CREATE INDEX "wa_auth_keys_seal_key_idx" ON "wa_auth_keys" USING btree ("seal_key_id");