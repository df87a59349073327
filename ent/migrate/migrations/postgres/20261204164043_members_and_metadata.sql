-- Drop index "member_user_id_mode_organization_id" from table: "members"
DROP INDEX "member_user_id_mode_organization_id";
-- Modify "members" table
ALTER TABLE "members" ADD COLUMN "status" character varying NOT NULL DEFAULT 'active', ADD COLUMN "deactivated_at" timestamptz NULL;
-- Create index "member_active_organization_id_user_id" to table: "members"
CREATE UNIQUE INDEX "member_active_organization_id_user_id" ON "members" ("organization_id", "user_id") WHERE ((status)::text = 'active'::text);
-- Create index "member_user_id_mode_status_organization_id" to table: "members"
CREATE INDEX "member_user_id_mode_status_organization_id" ON "members" ("user_id", "mode", "status", "organization_id");
-- The default roles' descriptions, where they are still the ones provisioned (events and webhooks came after them)
UPDATE "roles" SET "description" = 'Does everything: manages the owners, suspends, hands over and deletes the organization.' WHERE "slug" = 'owner' AND "description" = 'Does everything, including deleting the organization and managing owners.';
UPDATE "roles" SET "description" = 'Manages the organization, its workspaces, invitations, webhooks and non-owner members (deactivating them too), and reads its events.' WHERE "slug" = 'admin' AND "description" = 'Manages the organization, its workspaces, invitations and non-owner members.';
UPDATE "roles" SET "description" = 'Manages workspaces; reads the organization, its members, invitations and roles.' WHERE "slug" = 'developer' AND "description" = 'Manages workspaces and reads everything else.';
UPDATE "roles" SET "description" = 'Reads the organization, its members, invitations, workspaces and roles.' WHERE "slug" = 'viewer' AND "description" = 'Reads everything.';
-- Modify "organizations" table
ALTER TABLE "organizations" ADD COLUMN "external_id" character varying NULL, ADD COLUMN "metadata" jsonb NULL, ADD COLUMN "private_metadata" jsonb NULL;
-- Create index "organization_mode_external_id" to table: "organizations"
CREATE UNIQUE INDEX "organization_mode_external_id" ON "organizations" ("mode", "external_id");
