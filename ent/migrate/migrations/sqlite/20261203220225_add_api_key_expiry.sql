-- Add column "expires_at" to table: "api_keys"
ALTER TABLE `api_keys` ADD COLUMN `expires_at` datetime NULL;
-- Add column "last_used_at" to table: "api_keys"
ALTER TABLE `api_keys` ADD COLUMN `last_used_at` datetime NULL;
