-- Read more chooses among published stories only. Until now the newest 100 stories of each tag
-- were taken whatever their status and the best 50 candidates were checked for publication
-- afterwards, so drafts sharing a tag (60 were enough) crowded every published story out. Each
-- tag's candidates are now the newest 100 *published* stories with that tag: the same backward
-- scan of ArticleTag's (tagId, articleId) index, each row checked on Article's primary key, which
-- stops at the 100th published one. The section's candidates were published-only already.
CREATE OR REPLACE VIEW "RelatedArticle" AS
SELECT src.id AS "sourceId", a.id AS "articleId", c.score::int AS score, a."publishedAt"
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
