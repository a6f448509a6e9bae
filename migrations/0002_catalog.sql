-- Catalog reads at scale: counts without COUNT(*), indexes for every shopper sort,
-- and a NOTIFY on every catalog change so each instance's cache drops stale pages.

-- Active products per category (-1: uncategorised), kept exact by statement-level
-- triggers over transition tables: a 100,000-row COPY costs one upsert per category,
-- and a stock change (active and category untouched) costs nothing. The shopper's
-- pagination total is one indexed lookup or a sum over a dozen rows, never a scan.
CREATE TABLE catalog_counts (
    category_id     bigint PRIMARY KEY,
    active_products bigint NOT NULL
);

CREATE FUNCTION catalog_counts_add(keys bigint[], deltas bigint[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO catalog_counts AS c (category_id, active_products)
    SELECT k, d FROM unnest(keys, deltas) AS t (k, d) WHERE d <> 0 ORDER BY k
    ON CONFLICT (category_id) DO UPDATE SET active_products = c.active_products + EXCLUDED.active_products;
$$;

CREATE FUNCTION catalog_counts_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM catalog_counts_add(array_agg(k), array_agg(n))
       FROM (SELECT coalesce(category_id, -1) AS k, count(*) AS n
               FROM new_rows WHERE active GROUP BY 1) s;
    RETURN NULL;
END
$$;

CREATE FUNCTION catalog_counts_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM catalog_counts_add(array_agg(k), array_agg(-n))
       FROM (SELECT coalesce(category_id, -1) AS k, count(*) AS n
               FROM old_rows WHERE active GROUP BY 1) s;
    RETURN NULL;
END
$$;

CREATE FUNCTION catalog_counts_on_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM catalog_counts_add(array_agg(k), array_agg(n))
       FROM (SELECT k, sum(d) AS n
               FROM (SELECT coalesce(category_id, -1) AS k, 1 AS d FROM new_rows WHERE active
                     UNION ALL
                     SELECT coalesce(category_id, -1), -1 FROM old_rows WHERE active) x
              GROUP BY k HAVING sum(d) <> 0) s;
    RETURN NULL;
END
$$;

CREATE TRIGGER products_counts_insert AFTER INSERT ON products
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION catalog_counts_on_insert();
CREATE TRIGGER products_counts_delete AFTER DELETE ON products
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION catalog_counts_on_delete();
CREATE TRIGGER products_counts_update AFTER UPDATE ON products
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_counts_on_update();

-- TRUNCATE fires no row or DELETE triggers; it empties the counts its own way.
CREATE FUNCTION catalog_counts_on_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM catalog_counts;
    RETURN NULL;
END
$$;
CREATE TRIGGER products_counts_truncate AFTER TRUNCATE ON products
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_counts_on_truncate();

INSERT INTO catalog_counts (category_id, active_products)
SELECT coalesce(category_id, -1), count(*) FROM products WHERE active GROUP BY 1;

-- One channel for the whole catalog. The payload names the table and, for small
-- changes, the ids ("products 4,17"); an empty id list means "anything in it".
-- PostgreSQL delivers it at commit, folds identical ones within a transaction, and
-- drops it on rollback, which is exactly when a cache must (and must not) forget.
CREATE FUNCTION catalog_notify_products() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT CASE WHEN count(*) <= 100 THEN string_agg(id::text, ',') END INTO ids FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT CASE WHEN count(*) <= 100 THEN string_agg(id::text, ',') END INTO ids FROM old_rows;
    ELSE
        SELECT CASE WHEN count(*) <= 100 THEN string_agg(id::text, ',') END INTO ids FROM new_rows;
    END IF;
    PERFORM pg_notify('shopdesk_catalog', 'products ' || coalesce(ids, ''));
    RETURN NULL;
END
$$;

CREATE FUNCTION catalog_notify_table() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('shopdesk_catalog', TG_TABLE_NAME || ' ');
    RETURN NULL;
END
$$;

CREATE TRIGGER products_notify_insert AFTER INSERT ON products
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION catalog_notify_products();
CREATE TRIGGER products_notify_update AFTER UPDATE ON products
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION catalog_notify_products();
CREATE TRIGGER products_notify_delete AFTER DELETE ON products
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION catalog_notify_products();
CREATE TRIGGER products_notify_truncate AFTER TRUNCATE ON products
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_notify_table();
CREATE TRIGGER categories_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON categories
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_notify_table();

-- Shopper listings: filter on active (and category), order by the chosen sort with
-- id as the tie-breaker, so every page is an index range scan.
DROP INDEX products_category_idx;
CREATE INDEX products_category_idx ON products (category_id, id) WHERE active;
CREATE INDEX products_active_price_idx ON products (price_cents, id) WHERE active;
CREATE INDEX products_active_name_idx ON products (name, id) WHERE active;
CREATE INDEX products_active_newest_idx ON products (created_at DESC, id DESC) WHERE active;
-- Admin search by SKU prefix (SKUs are upper case by constraint).
CREATE INDEX products_sku_prefix_idx ON products (sku text_pattern_ops);

-- The ledger names who moved stock even when the actor has no user row (the desktop
-- before sign-in existed, a scheduled job, an import).
ALTER TABLE inventory_movements ADD COLUMN actor_label text NOT NULL DEFAULT '';
