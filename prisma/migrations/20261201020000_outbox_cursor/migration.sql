-- The CDN purger's shared cursor over the story-event outbox: its position, and which gateway holds
-- it until when (see src/newsroom/outbox-cursor.ts).
-- CreateTable
CREATE TABLE "OutboxCursor" (
    "name" TEXT NOT NULL,
    "position" INTEGER NOT NULL DEFAULT 0,
    "holder" TEXT,
    "leasedUntil" TIMESTAMPTZ(3),

    CONSTRAINT "OutboxCursor_pkey" PRIMARY KEY ("name")
);
