-- Create "api_keys" table
CREATE TABLE `api_keys` (`id` uuid NOT NULL, `hash` text NOT NULL, `display_prefix` text NOT NULL, `name` text NULL, `mode` text NOT NULL, `scope` text NOT NULL DEFAULT ('write'), `version` text NULL, `created_at` datetime NOT NULL, `revoked_at` datetime NULL, `user_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `api_keys_users_api_keys` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- Create index "api_keys_hash_key" to table: "api_keys"
CREATE UNIQUE INDEX `api_keys_hash_key` ON `api_keys` (`hash`);
-- Create index "apikey_user_id" to table: "api_keys"
CREATE INDEX `apikey_user_id` ON `api_keys` (`user_id`);
-- Create "idempotency_records" table
CREATE TABLE `idempotency_records` (`id` uuid NOT NULL, `user_id` uuid NOT NULL, `mode` text NOT NULL, `key` text NOT NULL, `fingerprint` text NOT NULL, `status` integer NOT NULL DEFAULT (0), `header` json NULL, `body` blob NULL, `created_at` datetime NOT NULL, `expires_at` datetime NOT NULL, PRIMARY KEY (`id`));
-- Create index "idempotencyrecord_user_id_mode_key" to table: "idempotency_records"
CREATE UNIQUE INDEX `idempotencyrecord_user_id_mode_key` ON `idempotency_records` (`user_id`, `mode`, `key`);
-- Create index "idempotencyrecord_expires_at" to table: "idempotency_records"
CREATE INDEX `idempotencyrecord_expires_at` ON `idempotency_records` (`expires_at`);
-- Create "invitations" table
CREATE TABLE `invitations` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `email` text NOT NULL, `role` text NOT NULL, `status` text NOT NULL DEFAULT ('pending'), `validity_days` integer NOT NULL DEFAULT (7), `expires_at` datetime NOT NULL, `inviter_id` uuid NULL, `member_id` uuid NULL, `accepted_at` datetime NULL, `revoked_at` datetime NULL, `organization_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `invitations_organizations_invitations` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE);
-- Create index "invitation_organization_id_email" to table: "invitations"
CREATE INDEX `invitation_organization_id_email` ON `invitations` (`organization_id`, `email`);
-- Create index "invitation_email" to table: "invitations"
CREATE INDEX `invitation_email` ON `invitations` (`email`);
-- Create "members" table
CREATE TABLE `members` (`id` uuid NOT NULL, `role` text NOT NULL, `joined_at` datetime NOT NULL, `organization_id` uuid NOT NULL, `user_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `members_organizations_members` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE, CONSTRAINT `members_users_memberships` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- Create index "member_organization_id_user_id" to table: "members"
CREATE UNIQUE INDEX `member_organization_id_user_id` ON `members` (`organization_id`, `user_id`);
-- Create index "member_user_id" to table: "members"
CREATE INDEX `member_user_id` ON `members` (`user_id`);
-- Create "organizations" table
CREATE TABLE `organizations` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `contact` json NULL, `phone_number` text NULL, `address` json NULL, `status` text NOT NULL DEFAULT ('ACTIVE'), `status_history` json NULL, `mode` text NOT NULL, PRIMARY KEY (`id`));
-- Create index "organization_mode_created_at" to table: "organizations"
CREATE INDEX `organization_mode_created_at` ON `organizations` (`mode`, `created_at`);
-- Create "roles" table
CREATE TABLE `roles` (`id` uuid NOT NULL, `slug` text NOT NULL, `name` text NOT NULL, `description` text NULL, `created_at` datetime NOT NULL, `organization_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `roles_organizations_roles` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE);
-- Create index "role_organization_id_slug" to table: "roles"
CREATE UNIQUE INDEX `role_organization_id_slug` ON `roles` (`organization_id`, `slug`);
-- Create "users" table
CREATE TABLE `users` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `email` text NOT NULL, `name` text NULL, PRIMARY KEY (`id`));
-- Create index "users_email_key" to table: "users"
CREATE UNIQUE INDEX `users_email_key` ON `users` (`email`);
-- Create "workspaces" table
CREATE TABLE `workspaces` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `name` text NOT NULL, `organization_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `workspaces_organizations_workspaces` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE);
-- Create index "workspace_organization_id_name" to table: "workspaces"
CREATE UNIQUE INDEX `workspace_organization_id_name` ON `workspaces` (`organization_id`, `name`);
