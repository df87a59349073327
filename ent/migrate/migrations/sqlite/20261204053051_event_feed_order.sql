-- Disable the enforcement of foreign-keys constraints
PRAGMA foreign_keys = off;
-- Create "new_events" table
CREATE TABLE `new_events` (`id` integer NOT NULL PRIMARY KEY AUTOINCREMENT, `xid` integer NULL DEFAULT (0), `type` text NOT NULL, `mode` text NOT NULL, `organization` uuid NULL, `actor_type` text NOT NULL, `actor_id` uuid NULL, `request_id` text NULL, `data` json NOT NULL, `previous` json NULL, `created_at` datetime NOT NULL);
-- Copy rows from old table "events" to new temporary table "new_events"
INSERT INTO `new_events` (`id`, `type`, `mode`, `organization`, `actor_type`, `actor_id`, `request_id`, `data`, `previous`, `created_at`) SELECT `id`, `type`, `mode`, `organization`, `actor_type`, `actor_id`, `request_id`, `data`, `previous`, `created_at` FROM `events`;
-- Drop "events" table after copying rows
DROP TABLE `events`;
-- Rename temporary table "new_events" to "events"
ALTER TABLE `new_events` RENAME TO `events`;
-- Create index "event_mode_xid_id" to table: "events"
CREATE INDEX `event_mode_xid_id` ON `events` (`mode`, `xid`, `id`);
-- Create index "event_organization_xid_id" to table: "events"
CREATE INDEX `event_organization_xid_id` ON `events` (`organization`, `xid`, `id`);
-- Enable back the enforcement of foreign-keys constraints
PRAGMA foreign_keys = on;
