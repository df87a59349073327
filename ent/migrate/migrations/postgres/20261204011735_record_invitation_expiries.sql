-- Modify "invitations" table
ALTER TABLE "invitations" ADD COLUMN "expiry_recorded_at" timestamptz NULL;
-- Create index "invitation_status_expiry_recorded_at_expires_at" to table: "invitations"
CREATE INDEX "invitation_status_expiry_recorded_at_expires_at" ON "invitations" ("status", "expiry_recorded_at", "expires_at");
