ALTER TABLE "memberships" ADD COLUMN "last_active_at" timestamp (3) with time zone;--> statement-breakpoint
-- Hand-written: the activity known so far, per organization (a browser session's last sight, in the organization it was on).
UPDATE "memberships" m SET "last_active_at" = (
  SELECT max(w."last_seen_at") FROM "web_sessions" w WHERE w."user_id" = m."user_id" AND w."active_organization_id" = m."organization_id"
);
