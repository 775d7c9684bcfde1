-- Live blogs: articles of kind LIVE hold ordered posts, and POST_ADDED, POST_UPDATED and POST_DELETED events carry the post id.
-- AlterEnum
ALTER TYPE "ArticleKind" ADD VALUE 'LIVE';

-- AlterEnum


ALTER TYPE "StoryEventType" ADD VALUE 'POST_ADDED';
ALTER TYPE "StoryEventType" ADD VALUE 'POST_UPDATED';
ALTER TYPE "StoryEventType" ADD VALUE 'POST_DELETED';

-- AlterTable
ALTER TABLE "StoryEvent" ADD COLUMN     "postId" INTEGER;

-- CreateTable
CREATE TABLE "LivePost" (
    "id" SERIAL NOT NULL,
    "articleId" INTEGER NOT NULL,
    "authorId" INTEGER,
    "body" TEXT NOT NULL DEFAULT '',
    "bodyBlocks" JSONB NOT NULL,
    "bodyText" TEXT NOT NULL DEFAULT '',
    "summary" TEXT,
    "keyEvent" BOOLEAN NOT NULL DEFAULT false,
    "pinned" BOOLEAN NOT NULL DEFAULT false,
    "postedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3),
    "version" INTEGER NOT NULL DEFAULT 1,

    CONSTRAINT "LivePost_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "LivePostMedia" (
    "postId" INTEGER NOT NULL,
    "mediaId" INTEGER NOT NULL,

    CONSTRAINT "LivePostMedia_pkey" PRIMARY KEY ("postId","mediaId")
);

-- CreateIndex
CREATE INDEX "LivePost_articleId_id_idx" ON "LivePost"("articleId", "id" DESC);

-- CreateIndex
CREATE INDEX "LivePost_articleId_keyEvent_id_idx" ON "LivePost"("articleId", "keyEvent", "id" DESC);

-- CreateIndex
CREATE INDEX "LivePost_authorId_idx" ON "LivePost"("authorId");

-- CreateIndex
CREATE INDEX "LivePostMedia_mediaId_idx" ON "LivePostMedia"("mediaId");

-- AddForeignKey
ALTER TABLE "LivePost" ADD CONSTRAINT "LivePost_articleId_fkey" FOREIGN KEY ("articleId") REFERENCES "Article"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LivePost" ADD CONSTRAINT "LivePost_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "Author"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LivePostMedia" ADD CONSTRAINT "LivePostMedia_postId_fkey" FOREIGN KEY ("postId") REFERENCES "LivePost"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LivePostMedia" ADD CONSTRAINT "LivePostMedia_mediaId_fkey" FOREIGN KEY ("mediaId") REFERENCES "Media"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
