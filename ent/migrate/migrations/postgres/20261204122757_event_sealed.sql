-- Modify "events" table
ALTER TABLE "events" ADD COLUMN "sealed" bytea NULL;
