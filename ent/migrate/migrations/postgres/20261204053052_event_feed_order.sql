-- Drop index "event_mode_id" from table: "events"
DROP INDEX "event_mode_id";
-- Drop index "event_organization_id" from table: "events"
DROP INDEX "event_organization_id";
-- Modify "events" table
ALTER TABLE "events" ADD COLUMN "xid" bigint NULL DEFAULT ((pg_current_xact_id())::text)::bigint;
-- Create index "event_mode_xid_id" to table: "events"
CREATE INDEX "event_mode_xid_id" ON "events" ("mode", "xid", "id");
-- Create index "event_organization_xid_id" to table: "events"
CREATE INDEX "event_organization_xid_id" ON "events" ("organization", "xid", "id");
