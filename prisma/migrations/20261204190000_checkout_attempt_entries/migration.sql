-- Checkout attempts are stored as their log wrote them: one row per log entry, which is one attempt or (the
-- batched refusals) several, as comma lists. At sell-out nearly every request is such a refusal, and a row
-- per attempt cost PostgreSQL about a sixth of a core and the requests around each write their p99.
-- checkout_attempts stays, as a view with a row per attempt, so queries written against it keep working.
CREATE TABLE "checkout_attempt_entries" (
    "source" VARCHAR(100) NOT NULL,
    "stream_id" VARCHAR(40) NOT NULL,
    -- The sale whose log the entry is in; NULL for the log of attempts made without a sale.
    "sale_id" INTEGER,
    "attempted_at" TIMESTAMPTZ(3) NOT NULL,
    -- Several attempts in one write: the k-th (from 0) is known as "<stream_id>.<k>".
    "batched" BOOLEAN NOT NULL,
    "user_ids" TEXT NOT NULL,
    "item_ids" TEXT NOT NULL,
    "results" TEXT NOT NULL,
    -- Only in the log without a sale (sale_id NULL): the sale each attempt named, "" for none.
    "sale_ids" TEXT,

    CONSTRAINT "checkout_attempt_entries_pkey" PRIMARY KEY ("source", "stream_id")
);

CREATE INDEX "checkout_attempt_entries_sale_id_idx" ON "checkout_attempt_entries"("sale_id");
-- The entries of the log without a sale, so that a query by sale_id reads those and its sale's own, not all.
CREATE INDEX "checkout_attempt_entries_without_sale_idx" ON "checkout_attempt_entries"("attempted_at") WHERE "sale_ids" IS NOT NULL;

-- The rows so far: one attempt each, except those of a batched entry ("<entry id>.<k>"), which become that
-- entry again, so that the writer, finding the entry still in its stream (written, not yet trimmed), skips it.
INSERT INTO "checkout_attempt_entries" ("source", "stream_id", "sale_id", "attempted_at", "batched", "user_ids", "item_ids", "results", "sale_ids")
SELECT "source", "stream_id",
       CASE WHEN "source" LIKE '{sale:%' THEN "sale_id" END,
       "attempted_at", false, replace(replace("user_id", ',', ''), ';', ''), coalesce("item_id"::text, ''),
       replace(replace("result", ',', ''), ';', ''),
       CASE WHEN "source" LIKE '{sale:%' THEN NULL ELSE coalesce("sale_id"::text, '') END
FROM "checkout_attempts"
WHERE "stream_id" NOT LIKE '%.%';

INSERT INTO "checkout_attempt_entries" ("source", "stream_id", "sale_id", "attempted_at", "batched", "user_ids", "item_ids", "results", "sale_ids")
SELECT "source", split_part("stream_id", '.', 1),
       CASE WHEN "source" LIKE '{sale:%' THEN min("sale_id") END,
       min("attempted_at"), true,
       string_agg(replace(replace("user_id", ',', ''), ';', ''), ',' ORDER BY split_part("stream_id", '.', 2)::int),
       string_agg(coalesce("item_id"::text, ''), ',' ORDER BY split_part("stream_id", '.', 2)::int),
       string_agg(replace(replace("result", ',', ''), ';', ''), ',' ORDER BY split_part("stream_id", '.', 2)::int),
       CASE WHEN "source" LIKE '{sale:%' THEN NULL
            ELSE string_agg(coalesce("sale_id"::text, ''), ',' ORDER BY split_part("stream_id", '.', 2)::int) END
FROM "checkout_attempts"
WHERE "stream_id" LIKE '%.%'
GROUP BY "source", split_part("stream_id", '.', 1);

DROP TABLE "checkout_attempts";

-- One row per attempt (an entry whose lists are all empty still shows one). Two halves so that a query by
-- sale_id can use the indexes. A value that is not a number becomes NULL rather than an error (nested CASE:
-- the cast runs only after the pattern matched).
CREATE VIEW "checkout_attempts" AS
SELECT e."source",
       CASE WHEN e."batched" THEN e."stream_id" || '.' || (coalesce(a.k, 1) - 1) ELSE e."stream_id" END AS "stream_id",
       e."sale_id",
       coalesce(a.user_id, '') AS "user_id",
       CASE WHEN a.item_id ~ '^[0-9]{1,10}$' THEN CASE WHEN a.item_id::bigint <= 2147483647 THEN a.item_id::int END END AS "item_id",
       coalesce(a.result, 'unknown') AS "result",
       e."attempted_at"
FROM "checkout_attempt_entries" e
LEFT JOIN LATERAL unnest(string_to_array(e."user_ids", ','), string_to_array(e."item_ids", ','), string_to_array(e."results", ','))
    WITH ORDINALITY AS a(user_id, item_id, result, k) ON true
WHERE e."sale_ids" IS NULL
UNION ALL
SELECT e."source",
       CASE WHEN e."batched" THEN e."stream_id" || '.' || (coalesce(a.k, 1) - 1) ELSE e."stream_id" END,
       CASE WHEN a.sale_id ~ '^[0-9]{1,10}$' THEN CASE WHEN a.sale_id::bigint <= 2147483647 THEN a.sale_id::int END END,
       coalesce(a.user_id, ''),
       CASE WHEN a.item_id ~ '^[0-9]{1,10}$' THEN CASE WHEN a.item_id::bigint <= 2147483647 THEN a.item_id::int END END,
       coalesce(a.result, 'unknown'),
       e."attempted_at"
FROM "checkout_attempt_entries" e
LEFT JOIN LATERAL unnest(string_to_array(e."user_ids", ','), string_to_array(e."item_ids", ','), string_to_array(e."results", ','),
                         string_to_array(e."sale_ids", ','))
    WITH ORDINALITY AS a(user_id, item_id, result, sale_id, k) ON true
WHERE e."sale_ids" IS NOT NULL;
