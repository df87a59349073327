-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_invitations" table
CREATE TABLE `new_invitations` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `email` text NOT NULL, `role` text NOT NULL, `status` text NOT NULL DEFAULT ('pending'), `validity_days` integer NOT NULL DEFAULT (7), `expires_at` datetime NOT NULL, `inviter_id` uuid NULL, `member_id` uuid NULL, `accepted_at` datetime NULL, `revoked_at` datetime NULL, `accept_token_hash` text NULL, `expiry_recorded_at` datetime NULL, `organization_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `invitations_organizations_invitations` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE);
-- Copy rows from old table "invitations" to new temporary table "new_invitations"
INSERT INTO `new_invitations` (`id`, `created_at`, `updated_at`, `email`, `role`, `status`, `validity_days`, `expires_at`, `inviter_id`, `member_id`, `accepted_at`, `revoked_at`, `accept_token_hash`, `organization_id`) SELECT `id`, `created_at`, `updated_at`, `email`, `role`, `status`, `validity_days`, `expires_at`, `inviter_id`, `member_id`, `accepted_at`, `revoked_at`, `accept_token_hash`, `organization_id` FROM `invitations`;
-- Drop "invitations" table after copying rows
DROP TABLE `invitations`;
-- Rename temporary table "new_invitations" to "invitations"
ALTER TABLE `new_invitations` RENAME TO `invitations`;
-- Create index "invitations_accept_token_hash_key" to table: "invitations"
CREATE UNIQUE INDEX `invitations_accept_token_hash_key` ON `invitations` (`accept_token_hash`);
-- Create index "invitation_organization_id_email" to table: "invitations"
CREATE INDEX `invitation_organization_id_email` ON `invitations` (`organization_id`, `email`);
-- Create index "invitation_email" to table: "invitations"
CREATE INDEX `invitation_email` ON `invitations` (`email`);
-- Create index "invitation_status_expiry_recorded_at_expires_at" to table: "invitations"
CREATE INDEX `invitation_status_expiry_recorded_at_expires_at` ON `invitations` (`status`, `expiry_recorded_at`, `expires_at`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
