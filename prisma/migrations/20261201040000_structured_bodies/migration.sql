-- Structured bodies: the parsed blocks (null until the backfill in src/newsroom/body.ts has
-- parsed an old body), the plain text, and the media library images a body shows.
ALTER TABLE "Article" ADD COLUMN     "bodyBlocks" JSONB,
ADD COLUMN     "bodyText" TEXT NOT NULL DEFAULT '';

-- Search reads the plain text instead of the Markdown (no link targets or markup in the index).
-- A generated column's expression cannot be altered before PostgreSQL 17: drop and add it.
ALTER TABLE "Article" DROP COLUMN "searchVector";
ALTER TABLE "Article" ADD COLUMN "searchVector" tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce("headline", '')), 'A') ||
        setweight(to_tsvector('english'::regconfig, coalesce("summary", '')), 'B') ||
        setweight(to_tsvector('english'::regconfig, coalesce("bodyText", '')), 'C')
    ) STORED;
CREATE INDEX "Article_searchVector_idx" ON "Article" USING GIN ("searchVector");

-- Image renditions crop around a focal point (0–1 from the left, from the top).
ALTER TABLE "Media" ADD COLUMN     "focalX" DOUBLE PRECISION,
ADD COLUMN     "focalY" DOUBLE PRECISION;

-- CreateTable
CREATE TABLE "ArticleBodyMedia" (
    "articleId" INTEGER NOT NULL,
    "mediaId" INTEGER NOT NULL,

    CONSTRAINT "ArticleBodyMedia_pkey" PRIMARY KEY ("articleId","mediaId")
);

-- CreateIndex
CREATE INDEX "ArticleBodyMedia_mediaId_idx" ON "ArticleBodyMedia"("mediaId");

-- AddForeignKey
ALTER TABLE "ArticleBodyMedia" ADD CONSTRAINT "ArticleBodyMedia_articleId_fkey" FOREIGN KEY ("articleId") REFERENCES "Article"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ArticleBodyMedia" ADD CONSTRAINT "ArticleBodyMedia_mediaId_fkey" FOREIGN KEY ("mediaId") REFERENCES "Media"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
