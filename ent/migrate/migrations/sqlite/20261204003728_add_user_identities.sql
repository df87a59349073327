-- Create "user_identities" table
CREATE TABLE `user_identities` (`id` uuid NOT NULL, `issuer` text NOT NULL, `subject` text NOT NULL, `created_at` datetime NOT NULL, `user_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `user_identities_users_identities` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE NO ACTION);
-- Create index "useridentity_issuer_subject" to table: "user_identities"
CREATE UNIQUE INDEX `useridentity_issuer_subject` ON `user_identities` (`issuer`, `subject`);
-- Create index "useridentity_user_id" to table: "user_identities"
CREATE INDEX `useridentity_user_id` ON `user_identities` (`user_id`);
