-- Create "events" table
CREATE TABLE "events" ("id" uuid NOT NULL, "seq" bigint NOT NULL, "type" character varying NOT NULL, "mode" character varying NOT NULL, "organization" uuid NULL, "actor_type" character varying NOT NULL, "actor_id" uuid NULL, "request_id" character varying NULL, "data" json NOT NULL, "previous" jsonb NULL, "created_at" timestamptz NOT NULL, PRIMARY KEY ("id"));
-- Create index "event_created_at" to table: "events"
CREATE INDEX "event_created_at" ON "events" ("created_at");
-- Create index "event_mode_seq" to table: "events"
CREATE INDEX "event_mode_seq" ON "events" ("mode", "seq");
-- Create index "event_organization_seq" to table: "events"
CREATE INDEX "event_organization_seq" ON "events" ("organization", "seq");
-- Create index "events_seq_key" to table: "events"
CREATE UNIQUE INDEX "events_seq_key" ON "events" ("seq");
