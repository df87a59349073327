-- Custom roles' permissions (a default role's are the code's: NULL)
ALTER TABLE "roles" ADD COLUMN "permissions" jsonb NULL;
-- The admin role's description, where it is still the one provisioned (admins manage custom roles now)
UPDATE "roles" SET "description" = 'Manages the organization, its workspaces, invitations, custom roles, webhooks and non-owner members (deactivating them too), and reads its events.' WHERE "slug" = 'admin' AND "description" = 'Manages the organization, its workspaces, invitations, webhooks and non-owner members (deactivating them too), and reads its events.';
-- Modify "members" table
ALTER TABLE "members" ADD COLUMN "external_id" character varying NULL, ADD COLUMN "metadata" jsonb NULL, ADD COLUMN "private_metadata" jsonb NULL;
-- Create index "member_mode_external_id" to table: "members"
CREATE UNIQUE INDEX "member_mode_external_id" ON "members" ("mode", "external_id");
-- Modify "users" table
ALTER TABLE "users" ADD COLUMN "external_id" character varying NULL, ADD COLUMN "metadata" jsonb NULL, ADD COLUMN "private_metadata" jsonb NULL;
-- Create index "user_external_id" to table: "users"
CREATE UNIQUE INDEX "user_external_id" ON "users" ("external_id");
