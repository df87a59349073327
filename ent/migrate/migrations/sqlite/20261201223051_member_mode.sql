-- Add column "mode" to table: "members": the organization's, set by the store's create hook from now on
ALTER TABLE `members` ADD COLUMN `mode` text NOT NULL DEFAULT ('live');
-- Backfill "mode" from each member's organization
UPDATE `members` SET `mode` = (SELECT `organizations`.`mode` FROM `organizations` WHERE `organizations`.`id` = `members`.`organization_id`);
-- Drop index "member_user_id" from table: "members" (the new index starts with user_id)
DROP INDEX `member_user_id`;
-- Create index "member_user_id_mode_organization_id" to table: "members"
CREATE INDEX `member_user_id_mode_organization_id` ON `members` (`user_id`, `mode`, `organization_id`);
