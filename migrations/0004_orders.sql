-- Carts, checkout, orders and payments. Stock is taken inside the order's own
-- transaction by a guarded update (stock >= quantity), so two checkouts can never sell
-- the same unit; every stock change writes the inventory ledger.

-- Guest carts: a cart belongs to an account or to a random cart token (stored hashed),
-- which merges into the account's cart at sign-in.
ALTER TABLE carts
    ALTER COLUMN user_id DROP NOT NULL,
    ADD COLUMN token_hash bytea UNIQUE,
    ADD CONSTRAINT carts_owner CHECK ((user_id IS NULL) <> (token_hash IS NULL));
CREATE INDEX carts_guest_updated_idx ON carts (updated_at) WHERE user_id IS NULL;
CREATE INDEX cart_items_product_idx ON cart_items (product_id);

-- Orders: search by customer email in the desktop view; the shopper's list.
CREATE INDEX orders_email_idx ON orders (email);
ALTER TABLE orders
    ADD COLUMN customer_note text NOT NULL DEFAULT '' CHECK (length(customer_note) <= 1000),
    ADD CONSTRAINT orders_refund_within_total CHECK (refunded_cents <= total_cents),
    ADD CONSTRAINT orders_total_adds_up CHECK (total_cents = subtotal_cents + shipping_cents);

-- Payments and refunds as the provider reported them (manual: as the admin recorded
-- them). A provider's reference (pi_..., re_...) is recorded once.
CREATE TABLE payments (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id      bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('payment', 'refund')),
    provider      text NOT NULL,
    provider_ref  text,
    amount_cents  bigint NOT NULL CHECK (amount_cents > 0),
    currency      char(3) NOT NULL,
    status        text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    reason        text NOT NULL DEFAULT '',
    actor_id      bigint REFERENCES users (id) ON DELETE SET NULL,
    actor_label   text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT payments_provider_ref_unique UNIQUE (provider, provider_ref)
);
CREATE INDEX payments_order_idx ON payments (order_id, created_at);

-- Webhook idempotency: an event id is inserted in the same transaction as its effect,
-- so a delivery that arrives twice (or five times at once) takes effect once.
CREATE TABLE stripe_events (
    event_id     text PRIMARY KEY,
    type         text NOT NULL,
    order_id     bigint REFERENCES orders (id) ON DELETE SET NULL,
    outcome      text NOT NULL DEFAULT '',
    received_at  timestamptz NOT NULL DEFAULT now()
);

-- The desktop Orders view refreshes when any instance changes an order.
CREATE FUNCTION orders_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids text;
BEGIN
    SELECT CASE WHEN count(*) <= 100 THEN string_agg(id::text, ',') END INTO ids FROM new_rows;
    PERFORM pg_notify('shopdesk_orders', 'orders ' || coalesce(ids, ''));
    RETURN NULL;
END
$$;
CREATE TRIGGER orders_notify_insert AFTER INSERT ON orders
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION orders_notify();
CREATE TRIGGER orders_notify_update AFTER UPDATE ON orders
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION orders_notify();
