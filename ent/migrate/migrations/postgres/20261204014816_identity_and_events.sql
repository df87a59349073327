-- Modify "invitations" table
ALTER TABLE "invitations" ADD COLUMN "accept_token_hash" character varying NULL, ADD COLUMN "expiry_recorded_at" timestamptz NULL;
-- Create index "invitation_status_expiry_recorded_at_expires_at" to table: "invitations"
CREATE INDEX "invitation_status_expiry_recorded_at_expires_at" ON "invitations" ("status", "expiry_recorded_at", "expires_at");
-- Create index "invitations_accept_token_hash_key" to table: "invitations"
CREATE UNIQUE INDEX "invitations_accept_token_hash_key" ON "invitations" ("accept_token_hash");
-- Create "events" table
CREATE TABLE "events" ("id" bigint NOT NULL, "type" character varying NOT NULL, "mode" character varying NOT NULL, "organization" uuid NULL, "actor_type" character varying NOT NULL, "actor_id" uuid NULL, "request_id" character varying NULL, "data" json NOT NULL, "previous" jsonb NULL, "created_at" timestamptz NOT NULL, PRIMARY KEY ("id"));
-- Create index "event_mode_id" to table: "events"
CREATE INDEX "event_mode_id" ON "events" ("mode", "id");
-- Create index "event_organization_id" to table: "events"
CREATE INDEX "event_organization_id" ON "events" ("organization", "id");
-- Create "user_identities" table
CREATE TABLE "user_identities" ("id" uuid NOT NULL, "issuer" character varying NOT NULL, "subject" character varying NOT NULL, "created_at" timestamptz NOT NULL, "user_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "user_identities_users_identities" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- Create index "useridentity_issuer_subject" to table: "user_identities"
CREATE UNIQUE INDEX "useridentity_issuer_subject" ON "user_identities" ("issuer", "subject");
-- Create index "useridentity_user_id" to table: "user_identities"
CREATE INDEX "useridentity_user_id" ON "user_identities" ("user_id");
