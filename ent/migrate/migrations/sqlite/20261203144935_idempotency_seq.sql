-- Add column "seq" to table: "idempotency_records": each key's number among its owner's, which the cap counts by (records from before start at 0 and expire within a day)
ALTER TABLE `idempotency_records` ADD COLUMN `seq` integer NOT NULL DEFAULT (0);
-- Create index "idempotencyrecord_user_id_mode_seq" to table: "idempotency_records": an owner's newest key, and its oldest for the cap to evict
CREATE INDEX `idempotencyrecord_user_id_mode_seq` ON `idempotency_records` (`user_id`, `mode`, `seq`);
