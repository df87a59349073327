-- Create "webhook_deliveries" table
CREATE TABLE `webhook_deliveries` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `mode` text NOT NULL, `event_id` integer NOT NULL, `event_type` text NOT NULL, `status` text NOT NULL DEFAULT ('pending'), `attempts` json NULL, `next_attempt_at` datetime NULL, `organization_id` uuid NULL, `endpoint_id` uuid NOT NULL, PRIMARY KEY (`id`), CONSTRAINT `webhook_deliveries_organizations_webhook_deliveries` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE, CONSTRAINT `webhook_deliveries_webhook_endpoints_deliveries` FOREIGN KEY (`endpoint_id`) REFERENCES `webhook_endpoints` (`id`) ON DELETE CASCADE);
-- Create index "webhookdelivery_endpoint_id_event_id" to table: "webhook_deliveries"
CREATE UNIQUE INDEX `webhookdelivery_endpoint_id_event_id` ON `webhook_deliveries` (`endpoint_id`, `event_id`);
-- Create index "webhookdelivery_endpoint_id_status" to table: "webhook_deliveries"
CREATE INDEX `webhookdelivery_endpoint_id_status` ON `webhook_deliveries` (`endpoint_id`, `status`);
-- Create "webhook_endpoints" table
CREATE TABLE `webhook_endpoints` (`id` uuid NOT NULL, `created_at` datetime NOT NULL, `updated_at` datetime NOT NULL, `mode` text NOT NULL, `url` text NOT NULL, `enabled_events` json NOT NULL, `description` text NULL, `status` text NOT NULL DEFAULT ('enabled'), `disabled_reason` text NULL, `secret_sealed` blob NOT NULL, `cursor_xid` integer NULL, `cursor_id` integer NULL, `next_attempt_at` datetime NULL, `lease_until` datetime NULL, `lease_owner` text NULL, `organization_id` uuid NULL, PRIMARY KEY (`id`), CONSTRAINT `webhook_endpoints_organizations_webhook_endpoints` FOREIGN KEY (`organization_id`) REFERENCES `organizations` (`id`) ON DELETE CASCADE);
-- Create index "webhookendpoint_status_next_attempt_at" to table: "webhook_endpoints"
CREATE INDEX `webhookendpoint_status_next_attempt_at` ON `webhook_endpoints` (`status`, `next_attempt_at`);
