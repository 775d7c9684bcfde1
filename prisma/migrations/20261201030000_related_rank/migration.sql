-- Read more's order as a column: "rank" is 1 for the best related story of an article (score
-- desc, publishedAt desc, articleId desc, the order every reader uses). A query asking for the
-- first N filters on rank <= N, so PostgreSQL builds the cards of N stories instead of all 50
-- candidates before sorting them (a quarter of the work of an article page's statement).
-- An article's filter on "sourceId" still reaches the candidates: it is the partition column.
CREATE OR REPLACE VIEW "RelatedArticle" AS
SELECT src.id AS "sourceId", a.id AS "articleId", c.score::int AS score, a."publishedAt",
  (row_number() OVER (PARTITION BY src.id ORDER BY c.score DESC, a."publishedAt" DESC, a.id DESC))::int AS rank
FROM "Article" src
CROSS JOIN LATERAL (
  SELECT candidate.id, SUM(candidate.weight) AS score
  FROM (
    SELECT same_tag."articleId" AS id, 2 AS weight
    FROM "ArticleTag" own
    CROSS JOIN LATERAL (
      SELECT t."articleId" FROM "ArticleTag" t
      JOIN "Article" tagged ON tagged.id = t."articleId" AND tagged."status" = 'PUBLISHED'
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
