-- Events for every editorial object: collections, sections, tags, authors and new editions write
-- an outbox event in the same transaction as their change (PostgreSQL 12+ adds enum values in a
-- transaction, as long as it does not use them).
ALTER TYPE "StoryEventType" ADD VALUE 'EDITION_CREATED';
ALTER TYPE "StoryEventType" ADD VALUE 'COLLECTION_CREATED';
ALTER TYPE "StoryEventType" ADD VALUE 'COLLECTION_UPDATED';
ALTER TYPE "StoryEventType" ADD VALUE 'SECTION_CREATED';
ALTER TYPE "StoryEventType" ADD VALUE 'SECTION_UPDATED';
ALTER TYPE "StoryEventType" ADD VALUE 'SECTION_DELETED';
ALTER TYPE "StoryEventType" ADD VALUE 'TAG_CREATED';
ALTER TYPE "StoryEventType" ADD VALUE 'TAG_UPDATED';
ALTER TYPE "StoryEventType" ADD VALUE 'AUTHOR_CREATED';
ALTER TYPE "StoryEventType" ADD VALUE 'AUTHOR_UPDATED';

-- AlterTable
ALTER TABLE "StoryEvent" ADD COLUMN     "authorId" INTEGER,
ADD COLUMN     "collectionId" INTEGER,
ADD COLUMN     "tagId" INTEGER;
