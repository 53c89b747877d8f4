-- Hand-written: the trigram operator class the label index below needs (pg_trgm ships with PostgreSQL's contrib
-- and with PGlite, which embedded.ts loads with it).
CREATE EXTENSION IF NOT EXISTS pg_trgm;--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "wa_sessions_label_trgm_idx" ON "wa_sessions" USING gin ("label" gin_trgm_ops);
