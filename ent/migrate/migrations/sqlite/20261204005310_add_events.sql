-- Create "events" table
CREATE TABLE `events` (`id` uuid NOT NULL, `seq` integer NOT NULL, `type` text NOT NULL, `mode` text NOT NULL, `organization` uuid NULL, `actor_type` text NOT NULL, `actor_id` uuid NULL, `request_id` text NULL, `data` json NOT NULL, `previous` json NULL, `created_at` datetime NOT NULL, PRIMARY KEY (`id`));
-- Create index "events_seq_key" to table: "events"
CREATE UNIQUE INDEX `events_seq_key` ON `events` (`seq`);
-- Create index "event_mode_seq" to table: "events"
CREATE INDEX `event_mode_seq` ON `events` (`mode`, `seq`);
-- Create index "event_organization_seq" to table: "events"
CREATE INDEX `event_organization_seq` ON `events` (`organization`, `seq`);
-- Create index "event_created_at" to table: "events"
CREATE INDEX `event_created_at` ON `events` (`created_at`);
