-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_members" table
CREATE TABLE `new_members` (`id` uuid NOT NULL, `role` text NOT NULL, `status` text NOT NULL DEFAULT ('active'), `deactivated_at` datetime NULL, `joined_at` datetime NOT NULL, `mode` text NOT NULL DEFAULT ('live'), `organization_id` uuid NOT NULL, `user_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `members_organizations_members` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE, CONSTRAINT `members_users_memberships` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- Copy rows from old table "members" to new temporary table "new_members"
INSERT INTO `new_members` (`id`, `role`, `joined_at`, `mode`, `organization_id`, `user_id`) SELECT `id`, `role`, `joined_at`, `mode`, `organization_id`, `user_id` FROM `members`;
-- Drop "members" table after copying rows
DROP TABLE `members`;
-- Rename temporary table "new_members" to "members"
ALTER TABLE `new_members` RENAME TO `members`;
-- Create index "member_organization_id_user_id" to table: "members"
CREATE UNIQUE INDEX `member_organization_id_user_id` ON `members` (`organization_id`, `user_id`);
-- Create index "member_active_organization_id_user_id" to table: "members"
CREATE UNIQUE INDEX `member_active_organization_id_user_id` ON `members` (`organization_id`, `user_id`) WHERE status = 'active';
-- Create index "member_user_id_mode_status_organization_id" to table: "members"
CREATE INDEX `member_user_id_mode_status_organization_id` ON `members` (`user_id`, `mode`, `status`, `organization_id`);
-- Create index "member_organization_id_joined_at" to table: "members"
CREATE INDEX `member_organization_id_joined_at` ON `members` (`organization_id`, `joined_at`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
-- The default roles' descriptions, where they are still the ones provisioned (events and webhooks came after them)
UPDATE `roles` SET `description` = 'Does everything: manages the owners, suspends, hands over and deletes the organization.' WHERE `slug` = 'owner' AND `description` = 'Does everything, including deleting the organization and managing owners.';
UPDATE `roles` SET `description` = 'Manages the organization, its workspaces, invitations, webhooks and non-owner members (deactivating them too), and reads its events.' WHERE `slug` = 'admin' AND `description` = 'Manages the organization, its workspaces, invitations and non-owner members.';
UPDATE `roles` SET `description` = 'Manages workspaces; reads the organization, its members, invitations and roles.' WHERE `slug` = 'developer' AND `description` = 'Manages workspaces and reads everything else.';
UPDATE `roles` SET `description` = 'Reads the organization, its members, invitations, workspaces and roles.' WHERE `slug` = 'viewer' AND `description` = 'Reads everything.';
-- Add the platform's columns to "organizations", at the end: a rebuild of the table (what Atlas plans)
-- would delete every member, role, invitation and workspace by ON DELETE CASCADE, since
-- PRAGMA foreign_keys = off does nothing inside the migration's transaction.
ALTER TABLE `organizations` ADD COLUMN `external_id` text NULL;
ALTER TABLE `organizations` ADD COLUMN `metadata` json NULL;
ALTER TABLE `organizations` ADD COLUMN `private_metadata` json NULL;
-- Create index "organization_mode_external_id" to table: "organizations"
CREATE UNIQUE INDEX `organization_mode_external_id` ON `organizations` (`mode`, `external_id`);
