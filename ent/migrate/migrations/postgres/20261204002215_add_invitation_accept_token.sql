-- Modify "invitations" table
ALTER TABLE "invitations" ADD COLUMN "accept_token_hash" character varying NULL;
-- Create index "invitations_accept_token_hash_key" to table: "invitations"
CREATE UNIQUE INDEX "invitations_accept_token_hash_key" ON "invitations" ("accept_token_hash");
