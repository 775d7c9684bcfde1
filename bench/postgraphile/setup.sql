-- What PostGraphile v5 needs beyond the gateway's tables, in a schema of its own
-- (postgraphile_bench; nothing in "public" is changed). server.mjs runs this file on start, in
-- one transaction; every statement is idempotent.
--
-- PostGraphile exposes only this schema: read-only views over the Prisma tables, with smart tags
-- (@primaryKey, @unique, @foreignKey) standing in for the constraints views lack, and SQL
-- functions for what the gateway computes itself. Readers see published articles only, on every
-- path, as in the gateway (src/newsroom/visibility.ts):
--   * the view "Article" holds the PUBLISHED articles only;
--   * edition placements and collection items count only when their article is published;
--   * related stories come from the gateway's view public."RelatedArticle" (published only),
--     most popular from public."PopularArticle", both joined to the published articles;
--   * the rows below an article (byline, corrections) are reachable only through it: their views
--     have no root fields and no node ids.
-- Orders are the gateway's: byline (position, authorId), tags (tagId), corrections (createdAt,
-- id), related (score desc, publishedAt desc, articleId desc), most popular (reads desc,
-- articleId desc), collection (position, articleId), placements (page, position), lists
-- (publishedAt desc, id desc).

CREATE SCHEMA IF NOT EXISTS postgraphile_bench;

CREATE OR REPLACE VIEW postgraphile_bench."Section" AS
  SELECT id, slug, name, description, "parentId", position FROM public."Section";
COMMENT ON VIEW postgraphile_bench."Section" IS E'@primaryKey id\n@unique slug\n@foreignKey ("parentId") references postgraphile_bench."Section" (id)|@fieldName parent|@foreignFieldName children|@behavior -connection +list\n@behavior -query:resource:list -query:resource:connection';

CREATE OR REPLACE VIEW postgraphile_bench."Author" AS
  SELECT id, slug, name, bio, kind, "avatarUrl" FROM public."Author";
COMMENT ON VIEW postgraphile_bench."Author" IS E'@primaryKey id\n@unique slug\n@behavior -query:resource:list -query:resource:connection';

CREATE OR REPLACE VIEW postgraphile_bench."Tag" AS
  SELECT id, slug, name, kind FROM public."Tag";
COMMENT ON VIEW postgraphile_bench."Tag" IS E'@primaryKey id\n@unique slug\n@behavior -query:resource:list -query:resource:connection';

CREATE OR REPLACE VIEW postgraphile_bench."Media" AS
  SELECT id, url, caption, credit, "altText", width, height FROM public."Media";
COMMENT ON VIEW postgraphile_bench."Media" IS E'@primaryKey id\n@behavior -query:resource:list -query:resource:connection -query:resource:single -type:node';

CREATE OR REPLACE VIEW postgraphile_bench."Article" AS
  SELECT id, slug, headline, summary, body, kind, status, "sectionId", dateline, "heroMediaId", "publishedAt", "updatedAt"
  FROM public."Article"
  WHERE status = 'PUBLISHED';
COMMENT ON VIEW postgraphile_bench."Article" IS E'@primaryKey id\n@unique slug\n@foreignKey ("sectionId") references postgraphile_bench."Section" (id)|@fieldName section|@foreignFieldName articlesBySection\n@foreignKey ("heroMediaId") references postgraphile_bench."Media" (id)|@fieldName heroMedia|@behavior -manyRelation:resource:list -manyRelation:resource:connection';

CREATE OR REPLACE VIEW postgraphile_bench."ArticleAuthor" AS
  SELECT "articleId", "authorId", position, role FROM public."ArticleAuthor";
COMMENT ON VIEW postgraphile_bench."ArticleAuthor" IS E'@primaryKey articleId,authorId\n@foreignKey ("articleId") references postgraphile_bench."Article" (id)|@fieldName article|@foreignFieldName byline|@behavior -connection +list\n@foreignKey ("authorId") references postgraphile_bench."Author" (id)|@fieldName author|@behavior -manyRelation:resource:list -manyRelation:resource:connection\n@behavior -query:resource:list -query:resource:connection -query:resource:single -type:node';

CREATE OR REPLACE VIEW postgraphile_bench."Correction" AS
  SELECT id, "articleId", text, "createdAt" FROM public."Correction";
COMMENT ON VIEW postgraphile_bench."Correction" IS E'@primaryKey id\n@foreignKey ("articleId") references postgraphile_bench."Article" (id)|@fieldName article|@foreignFieldName corrections|@behavior -connection +list\n@behavior -query:resource:list -query:resource:connection -query:resource:single -type:node';

CREATE OR REPLACE VIEW postgraphile_bench."Edition" AS
  SELECT id, slug, name, kind, date FROM public."Edition";
COMMENT ON VIEW postgraphile_bench."Edition" IS E'@primaryKey id\n@unique slug\n@unique kind,date';

-- Placements of published articles only (the gateway's Edition.placements filter).
CREATE OR REPLACE VIEW postgraphile_bench."EditionPlacement" AS
  SELECT p.id, p."editionId", p."articleId", p.page, p.position
  FROM public."EditionPlacement" p
  WHERE EXISTS (SELECT 1 FROM public."Article" a WHERE a.id = p."articleId" AND a.status = 'PUBLISHED');
COMMENT ON VIEW postgraphile_bench."EditionPlacement" IS E'@primaryKey id\n@foreignKey ("editionId") references postgraphile_bench."Edition" (id)|@fieldName edition|@foreignFieldName placements|@behavior -connection +list\n@foreignKey ("articleId") references postgraphile_bench."Article" (id)|@fieldName article|@behavior -manyRelation:resource:list -manyRelation:resource:connection\n@behavior -query:resource:list -query:resource:connection -query:resource:single -type:node';

CREATE OR REPLACE VIEW postgraphile_bench."Collection" AS
  SELECT id, slug, name, description FROM public."Collection";
COMMENT ON VIEW postgraphile_bench."Collection" IS E'@primaryKey id\n@unique slug\n@behavior -query:resource:list -query:resource:connection';

-- Article.tags, in tagId order.
CREATE OR REPLACE FUNCTION postgraphile_bench.article_tags(a postgraphile_bench."Article")
RETURNS SETOF postgraphile_bench."Tag" LANGUAGE sql STABLE AS $$
  SELECT t.* FROM public."ArticleTag" at JOIN postgraphile_bench."Tag" t ON t.id = at."tagId"
  WHERE at."articleId" = a.id
  ORDER BY at."tagId"
$$;
COMMENT ON FUNCTION postgraphile_bench.article_tags(postgraphile_bench."Article") IS E'@behavior -connection +list';

-- Article.related: the gateway's view "RelatedArticle", in the gateway's order.
CREATE OR REPLACE FUNCTION postgraphile_bench.article_related(a postgraphile_bench."Article")
RETURNS SETOF postgraphile_bench."Article" LANGUAGE sql STABLE AS $$
  SELECT x.* FROM public."RelatedArticle" r JOIN postgraphile_bench."Article" x ON x.id = r."articleId"
  WHERE r."sourceId" = a.id
  ORDER BY r.score DESC, r."publishedAt" DESC, r."articleId" DESC
$$;
COMMENT ON FUNCTION postgraphile_bench.article_related(postgraphile_bench."Article") IS E'@behavior -connection +list';

-- Collection.articles: its published articles in the editors' order.
CREATE OR REPLACE FUNCTION postgraphile_bench.collection_articles(c postgraphile_bench."Collection")
RETURNS SETOF postgraphile_bench."Article" LANGUAGE sql STABLE AS $$
  SELECT a.* FROM public."CollectionItem" i JOIN postgraphile_bench."Article" a ON a.id = i."articleId"
  WHERE i."collectionId" = c.id
  ORDER BY i.position, i."articleId"
$$;
COMMENT ON FUNCTION postgraphile_bench.collection_articles(postgraphile_bench."Collection") IS E'@behavior -connection +list';

-- Section.articles: the published articles of the section and all its subsections. Unordered
-- here, ordered by the query (orderBy: [PUBLISHED_AT_DESC, ROW_ID_DESC]), so totalCount does not
-- sort; the subtree is an array (one InitPlan), so both the page and the count can use the
-- ("sectionId", status, "publishedAt", id) index like the gateway's "sectionId" IN (…).
CREATE OR REPLACE FUNCTION postgraphile_bench.section_articles(s postgraphile_bench."Section")
RETURNS SETOF postgraphile_bench."Article" LANGUAGE sql STABLE AS $$
  SELECT a.* FROM postgraphile_bench."Article" a
  WHERE a."sectionId" = ANY (ARRAY(
    WITH RECURSIVE tree(id) AS (
      SELECT s.id
      UNION ALL
      SELECT c.id FROM public."Section" c JOIN tree ON c."parentId" = tree.id
    )
    SELECT id FROM tree
  ))
$$;
COMMENT ON FUNCTION postgraphile_bench.section_articles(postgraphile_bench."Section") IS E'@behavior +order';

-- Query.mostPopular(window): public."PopularArticle" (refreshed by the gateway), published only.
-- Not STRICT (nor SECURITY DEFINER, nor with SET): PostgreSQL inlines only such SQL functions
-- into the calling query, so PostGraphile's LIMIT reaches the index scan. The same goes for all
-- functions here.
CREATE OR REPLACE FUNCTION postgraphile_bench.most_popular("window" public."PopularityWindow")
RETURNS SETOF postgraphile_bench."Article" LANGUAGE sql STABLE AS $$
  SELECT a.* FROM public."PopularArticle" p JOIN postgraphile_bench."Article" a ON a.id = p."articleId"
  WHERE p."window" = most_popular."window"
  ORDER BY p.reads DESC, p."articleId" DESC
$$;
COMMENT ON FUNCTION postgraphile_bench.most_popular(public."PopularityWindow") IS E'@behavior -connection +list';
