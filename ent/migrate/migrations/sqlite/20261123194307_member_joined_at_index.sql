-- Create index "member_organization_id_joined_at" to table: "members"
CREATE INDEX `member_organization_id_joined_at` ON `members` (`organization_id`, `joined_at`);
