-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_invitations" table
CREATE TABLE `new_invitations` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `email` text NOT NULL, `role` text NOT NULL, `status` text NOT NULL DEFAULT ('pending'), `validity_days` integer NOT NULL DEFAULT (7), `expires_at` datetime NOT NULL, `inviter_id` uuid NULL, `member_id` uuid NULL, `accepted_at` datetime NULL, `revoked_at` datetime NULL, `accept_token_hash` text NULL, `expiry_recorded_at` datetime NULL, `organization_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `invitations_organizations_invitations` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE);
-- Copy rows from old table "invitations" to new temporary table "new_invitations"
INSERT INTO `new_invitations` (`id`, `created_at`, `updated_at`, `email`, `role`, `status`, `validity_days`, `expires_at`, `inviter_id`, `member_id`, `accepted_at`, `revoked_at`, `organization_id`) SELECT `id`, `created_at`, `updated_at`, `email`, `role`, `status`, `validity_days`, `expires_at`, `inviter_id`, `member_id`, `accepted_at`, `revoked_at`, `organization_id` FROM `invitations`;
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
-- Create "events" table
CREATE TABLE `events` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `type` text NOT NULL, `mode` text NOT NULL, `organization` uuid NULL, `actor_type` text NOT NULL, `actor_id` uuid NULL, `request_id` text NULL, `data` json NOT NULL, `previous` json NULL, `created_at` datetime NOT NULL);
-- Create index "event_mode_id" to table: "events"
CREATE INDEX `event_mode_id` ON `events` (`mode`, `id`);
-- Create index "event_organization_id" to table: "events"
CREATE INDEX `event_organization_id` ON `events` (`organization`, `id`);
-- Create "user_identities" table
CREATE TABLE `user_identities` (`id` uuid NOT NULL, `issuer` text NOT NULL, `subject` text NOT NULL, `created_at` datetime NOT NULL, `user_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `user_identities_users_identities` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- Create index "useridentity_issuer_subject" to table: "user_identities"
CREATE UNIQUE INDEX `useridentity_issuer_subject` ON `user_identities` (`issuer`, `subject`);
-- Create index "useridentity_user_id" to table: "user_identities"
CREATE INDEX `useridentity_user_id` ON `user_identities` (`user_id`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
