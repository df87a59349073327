-- Custom roles' permissions (a default role's are the code's: NULL)
ALTER TABLE `roles` ADD COLUMN `permissions` json NULL;
-- The admin role's description, where it is still the one provisioned (admins manage custom roles now)
UPDATE `roles` SET `description` = 'Manages the organization, its workspaces, invitations, custom roles, domains, webhooks and non-owner members (deactivating them too), and reads its events.' WHERE `slug` = 'admin' AND `description` = 'Manages the organization, its workspaces, invitations, webhooks and non-owner members (deactivating them too), and reads its events.';
-- Add the platform's columns to "members", at the end: a rebuild of the table (what Atlas plans)
-- would run ON DELETE actions of the tables that reference it, since PRAGMA foreign_keys = off
-- does nothing inside the migration's transaction.
ALTER TABLE `members` ADD COLUMN `external_id` text NULL;
ALTER TABLE `members` ADD COLUMN `metadata` json NULL;
ALTER TABLE `members` ADD COLUMN `private_metadata` json NULL;
-- Create index "member_mode_external_id" to table: "members"
CREATE UNIQUE INDEX `member_mode_external_id` ON `members` (`mode`, `external_id`);
-- The same on "users" (its keys and identities reference it ON DELETE CASCADE)
ALTER TABLE `users` ADD COLUMN `external_id` text NULL;
ALTER TABLE `users` ADD COLUMN `metadata` json NULL;
ALTER TABLE `users` ADD COLUMN `private_metadata` json NULL;
-- Create index "user_external_id" to table: "users"
CREATE UNIQUE INDEX `user_external_id` ON `users` (`external_id`);
-- Create "domains" table
CREATE TABLE `domains` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `domain` text NOT NULL, `mode` text NOT NULL, `status` text NOT NULL DEFAULT ('pending'), `verification_token` text NOT NULL, `enrollment` text NOT NULL DEFAULT ('none'), `role` text NOT NULL DEFAULT ('viewer'), `created_by` uuid NULL, `verified_at` datetime NULL, `checked_at` datetime NULL, `failure` text NULL, `organization_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `domains_organizations_domains` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE);
-- Create index "domain_organization_id_domain" to table: "domains"
CREATE UNIQUE INDEX `domain_organization_id_domain` ON `domains` (`organization_id`, `domain`);
-- Create index "domain_verified_mode_domain" to table: "domains"
CREATE UNIQUE INDEX `domain_verified_mode_domain` ON `domains` (`mode`, `domain`) WHERE status = 'verified';
-- Create index "domain_status_checked_at" to table: "domains"
CREATE INDEX `domain_status_checked_at` ON `domains` (`status`, `checked_at`);
