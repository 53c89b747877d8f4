CREATE TABLE "session_leases" (
	"session_id" text PRIMARY KEY NOT NULL,
	"gateway_id" text NOT NULL,
	"epoch" bigint NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "session_leases" ADD CONSTRAINT "session_leases_session_id_wa_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."wa_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "session_leases_gateway_idx" ON "session_leases" USING btree ("gateway_id","expires_at");