-- CreateEnum
CREATE TYPE "PopularityWindow" AS ENUM ('HOUR', 'DAY', 'WEEK', 'MONTH');

-- CreateTable
CREATE TABLE "PopularArticle" (
    "window" "PopularityWindow" NOT NULL,
    "articleId" INTEGER NOT NULL,
    "reads" INTEGER NOT NULL,

    CONSTRAINT "PopularArticle_pkey" PRIMARY KEY ("window","articleId")
);

-- CreateTable
CREATE TABLE "JobRun" (
    "job" TEXT NOT NULL,
    "lastRunAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "JobRun_pkey" PRIMARY KEY ("job")
);

-- CreateIndex
CREATE INDEX "PopularArticle_window_reads_articleId_idx" ON "PopularArticle"("window", "reads" DESC, "articleId" DESC);

-- CreateIndex
CREATE INDEX "PopularArticle_articleId_idx" ON "PopularArticle"("articleId");

-- AddForeignKey
ALTER TABLE "PopularArticle" ADD CONSTRAINT "PopularArticle_articleId_fkey" FOREIGN KEY ("articleId") REFERENCES "Article"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Read more: the view RelatedArticle of schema.prisma (Prisma Migrate leaves views to hand-written
-- SQL). Candidates come from indexes and are capped, so the cost per article stays flat however
-- large the archive and its tags grow: the newest 100 stories of each of the article's tags (2
-- points per shared tag) and the newest 50 published stories of its section (1 point). The best 50
-- candidates by score (newest id first among equals) are checked against the article table:
-- published ones only. Queried by sourceId, which PostgreSQL pushes into the lateral subquery.
CREATE VIEW "RelatedArticle" AS
SELECT src.id AS "sourceId", a.id AS "articleId", c.score::int AS score, a."publishedAt"
FROM "Article" src
CROSS JOIN LATERAL (
  SELECT candidate.id, SUM(candidate.weight) AS score
  FROM (
    SELECT same_tag."articleId" AS id, 2 AS weight
    FROM "ArticleTag" own
    CROSS JOIN LATERAL (
      SELECT t."articleId" FROM "ArticleTag" t
      WHERE t."tagId" = own."tagId" AND t."articleId" <> src.id
      ORDER BY t."articleId" DESC
      LIMIT 100
    ) same_tag
    WHERE own."articleId" = src.id
    UNION ALL
    SELECT * FROM (
      SELECT s.id, 1 FROM "Article" s
      WHERE s."sectionId" = src."sectionId" AND s."status" = 'PUBLISHED' AND s.id <> src.id
      ORDER BY s."publishedAt" DESC, s.id DESC
      LIMIT 50
    ) same_section
  ) candidate
  GROUP BY candidate.id
  ORDER BY score DESC, candidate.id DESC
  LIMIT 50
) c
JOIN "Article" a ON a.id = c.id AND a."status" = 'PUBLISHED';
