-- Sales change stock all day; a stock-only change need not drop every cached catalog
-- page. The products UPDATE trigger now says "stock <ids>" when nothing but the stock
-- (and updated_at) changed in the statement, and "products <ids>" otherwise; each
-- instance then drops only the cached pages that show those products.
CREATE FUNCTION catalog_notify_products_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids text;
    stock_only boolean;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
        RETURN NULL; -- an UPDATE that matched nothing changed nothing
    END IF;
    SELECT CASE WHEN count(*) <= 100 THEN string_agg(id::text, ',') END INTO ids FROM new_rows;
    SELECT NOT EXISTS (
        SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE (o.sku, o.name, o.description, o.price_cents, o.currency, o.category_id, o.image_url, o.active)
              IS DISTINCT FROM
              (n.sku, n.name, n.description, n.price_cents, n.currency, n.category_id, n.image_url, n.active))
      INTO stock_only;
    PERFORM pg_notify('shopdesk_catalog',
                      CASE WHEN stock_only AND ids IS NOT NULL THEN 'stock ' ELSE 'products ' END || coalesce(ids, ''));
    RETURN NULL;
END
$$;

DROP TRIGGER products_notify_update ON products;
CREATE TRIGGER products_notify_update AFTER UPDATE ON products
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_notify_products_update();
