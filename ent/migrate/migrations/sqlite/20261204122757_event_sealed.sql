-- Add column "sealed" to table: "events"
ALTER TABLE `events` ADD COLUMN `sealed` blob NULL;
