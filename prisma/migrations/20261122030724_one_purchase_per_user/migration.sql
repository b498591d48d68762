-- AlterTable
ALTER TABLE "sales" ADD COLUMN     "one_purchase_per_user" BOOLEAN NOT NULL DEFAULT false;
