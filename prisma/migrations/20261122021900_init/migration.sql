-- CreateTable
CREATE TABLE "sales" (
    "id" SERIAL NOT NULL,
    "started_at" TIMESTAMPTZ(3) NOT NULL,
    "ended_at" TIMESTAMPTZ(3) NOT NULL,
    "items_total" INTEGER NOT NULL,
    "sale_cap" INTEGER NOT NULL,
    "per_user_limit" INTEGER NOT NULL,
    "units_per_item" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "sales_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "items" (
    "id" SERIAL NOT NULL,
    "sale_id" INTEGER NOT NULL,
    "name" VARCHAR(200) NOT NULL,
    "stock" INTEGER NOT NULL DEFAULT 1,
    "sold_count" INTEGER NOT NULL DEFAULT 0,
    "sold" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "items_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "orders" (
    "id" UUID NOT NULL,
    "sale_id" INTEGER NOT NULL,
    "user_id" VARCHAR(64) NOT NULL,
    "checkout_code" VARCHAR(100) NOT NULL,
    "item_count" INTEGER NOT NULL,
    "purchased_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "orders_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "order_items" (
    "order_id" UUID NOT NULL,
    "item_id" INTEGER NOT NULL,
    "unit" INTEGER NOT NULL DEFAULT 1,

    CONSTRAINT "order_items_pkey" PRIMARY KEY ("order_id","item_id","unit")
);

-- CreateTable
CREATE TABLE "checkout_attempts" (
    "id" BIGSERIAL NOT NULL,
    "source" VARCHAR(100) NOT NULL,
    "stream_id" VARCHAR(40) NOT NULL,
    "sale_id" INTEGER,
    "user_id" VARCHAR(64) NOT NULL,
    "item_id" INTEGER,
    "result" VARCHAR(40) NOT NULL,
    "attempted_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "checkout_attempts_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "sales_started_at_idx" ON "sales"("started_at");

-- CreateIndex
CREATE INDEX "items_sale_id_id_idx" ON "items"("sale_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "orders_checkout_code_key" ON "orders"("checkout_code");

-- CreateIndex
CREATE INDEX "orders_sale_id_user_id_idx" ON "orders"("sale_id", "user_id");

-- CreateIndex
CREATE UNIQUE INDEX "order_items_item_id_unit_key" ON "order_items"("item_id", "unit");

-- CreateIndex
CREATE INDEX "checkout_attempts_sale_id_result_idx" ON "checkout_attempts"("sale_id", "result");

-- CreateIndex
CREATE UNIQUE INDEX "checkout_attempts_source_stream_id_key" ON "checkout_attempts"("source", "stream_id");

-- AddForeignKey
ALTER TABLE "items" ADD CONSTRAINT "items_sale_id_fkey" FOREIGN KEY ("sale_id") REFERENCES "sales"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "orders" ADD CONSTRAINT "orders_sale_id_fkey" FOREIGN KEY ("sale_id") REFERENCES "sales"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "order_items" ADD CONSTRAINT "order_items_order_id_fkey" FOREIGN KEY ("order_id") REFERENCES "orders"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "order_items" ADD CONSTRAINT "order_items_item_id_fkey" FOREIGN KEY ("item_id") REFERENCES "items"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Written by hand (Prisma cannot model these): rules the database itself enforces.
-- Sales never overlap, so at most one sale is open at any instant, and racing schedulers insert one sale
-- per window (the loser's INSERT ... ON CONFLICT DO NOTHING waits for the winner, then does nothing).
ALTER TABLE "sales" ADD CONSTRAINT "sales_no_overlap" EXCLUDE USING gist (tstzrange("started_at", "ended_at") WITH &&);
ALTER TABLE "sales" ADD CONSTRAINT "sales_window_check" CHECK ("ended_at" > "started_at");
ALTER TABLE "sales" ADD CONSTRAINT "sales_terms_check" CHECK ("items_total" > 0 AND "sale_cap" > 0 AND "per_user_limit" > 0 AND "units_per_item" > 0);
-- An item never sells more units than it has.
ALTER TABLE "items" ADD CONSTRAINT "items_sold_count_check" CHECK ("sold_count" >= 0 AND "sold_count" <= "stock");
ALTER TABLE "order_items" ADD CONSTRAINT "order_items_unit_check" CHECK ("unit" >= 1);
