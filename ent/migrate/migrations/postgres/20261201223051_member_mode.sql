-- Drop index "member_user_id" from table: "members"
DROP INDEX "member_user_id";
-- Modify "members" table
ALTER TABLE "members" ADD COLUMN "mode" character varying NOT NULL DEFAULT 'live';
-- Backfill "mode" from each member's organization
UPDATE "members" SET "mode" = (SELECT "organizations"."mode" FROM "organizations" WHERE "organizations"."id" = "members"."organization_id");
-- Create index "member_user_id_mode_organization_id" to table: "members"
CREATE INDEX "member_user_id_mode_organization_id" ON "members" ("user_id", "mode", "organization_id");
