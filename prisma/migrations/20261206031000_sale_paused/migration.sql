-- A pause is kept here as well as in Redis, so that a sale loaded again from PostgreSQL (after Redis lost its
-- keys) comes back paused. Existing rows: not paused, as no sale could be loaded paused before.
ALTER TABLE "sales" ADD COLUMN "paused" BOOLEAN NOT NULL DEFAULT false;
