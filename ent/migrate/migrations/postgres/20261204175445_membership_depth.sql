-- Custom roles' permissions (a default role's are the code's: NULL)
ALTER TABLE "roles" ADD COLUMN "permissions" jsonb NULL;
-- The admin role's description, where it is still the one provisioned (admins manage custom roles now)
UPDATE "roles" SET "description" = 'Manages the organization, its workspaces, invitations, custom roles, domains, webhooks and non-owner members (deactivating them too), and reads its events.' WHERE "slug" = 'admin' AND "description" = 'Manages the organization, its workspaces, invitations, webhooks and non-owner members (deactivating them too), and reads its events.';
-- Modify "members" table
ALTER TABLE "members" ADD COLUMN "external_id" character varying NULL, ADD COLUMN "metadata" jsonb NULL, ADD COLUMN "private_metadata" jsonb NULL;
-- Create index "member_mode_external_id" to table: "members"
CREATE UNIQUE INDEX "member_mode_external_id" ON "members" ("mode", "external_id");
-- Modify "users" table
ALTER TABLE "users" ADD COLUMN "external_id" character varying NULL, ADD COLUMN "metadata" jsonb NULL, ADD COLUMN "private_metadata" jsonb NULL;
-- Create index "user_external_id" to table: "users"
CREATE UNIQUE INDEX "user_external_id" ON "users" ("external_id");
-- Create "domains" table
CREATE TABLE "domains" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "domain" character varying NOT NULL, "mode" character varying NOT NULL, "status" character varying NOT NULL DEFAULT 'pending', "verification_token" character varying NOT NULL, "enrollment" character varying NOT NULL DEFAULT 'none', "role" character varying NOT NULL DEFAULT 'viewer', "created_by" uuid NULL, "verified_at" timestamptz NULL, "checked_at" timestamptz NULL, "failure" character varying NULL, "organization_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "domains_organizations_domains" FOREIGN KEY ("organization_id") REFERENCES "organizations" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- Create index "domain_organization_id_domain" to table: "domains"
CREATE UNIQUE INDEX "domain_organization_id_domain" ON "domains" ("organization_id", "domain");
-- Create index "domain_status_checked_at" to table: "domains"
CREATE INDEX "domain_status_checked_at" ON "domains" ("status", "checked_at");
-- Create index "domain_verified_mode_domain" to table: "domains"
CREATE UNIQUE INDEX "domain_verified_mode_domain" ON "domains" ("mode", "domain") WHERE ((status)::text = 'verified'::text);
