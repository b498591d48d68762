-- checkout_attempts is keyed by (source, stream_id), which was already unique: the surrogate id and its
-- sequence go. The existing unique index becomes the primary key as it is (no rebuild, however many rows).
ALTER TABLE "checkout_attempts" DROP CONSTRAINT "checkout_attempts_pkey";
ALTER TABLE "checkout_attempts" DROP COLUMN "id";
ALTER TABLE "checkout_attempts" ADD CONSTRAINT "checkout_attempts_pkey" PRIMARY KEY USING INDEX "checkout_attempts_source_stream_id_key";
