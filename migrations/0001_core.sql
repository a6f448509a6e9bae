-- ShopDesk core schema. Money is integer cents plus an ISO 4217 currency code;
-- times are timestamptz; tables that two admins can edit at once carry a version
-- column for optimistic locking.

CREATE EXTENSION IF NOT EXISTS citext;

CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

CREATE TABLE users (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email               citext NOT NULL,
    password_hash       text NOT NULL,
    first_name          text NOT NULL DEFAULT '',
    last_name           text NOT NULL DEFAULT '',
    role                text NOT NULL DEFAULT 'customer'
                        CHECK (role IN ('customer', 'staff', 'admin')),
    email_verified_at   timestamptz,
    disabled_at         timestamptz,
    failed_logins       integer NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until        timestamptz,
    totp_secret         bytea,
    totp_enabled_at     timestamptz,
    last_login_at       timestamptz,
    version             integer NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_email_length CHECK (length(email) BETWEEN 3 AND 254)
);
CREATE TRIGGER users_touch BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE categories (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description text NOT NULL DEFAULT '',
    sort_order  integer NOT NULL DEFAULT 0,
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER categories_touch BEFORE UPDATE ON categories
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE products (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku          text NOT NULL CHECK (sku ~ '^[A-Z0-9][A-Z0-9-]{1,39}$'),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description  text NOT NULL DEFAULT '',
    price_cents  bigint NOT NULL CHECK (price_cents >= 0),
    currency     char(3) NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    category_id  bigint REFERENCES categories (id) ON DELETE SET NULL,
    stock        integer NOT NULL DEFAULT 0 CHECK (stock >= 0),
    image_url    text NOT NULL DEFAULT '',
    active       boolean NOT NULL DEFAULT true,
    search       tsvector GENERATED ALWAYS AS (
                     setweight(to_tsvector('english', coalesce(name, '')), 'A') ||
                     setweight(to_tsvector('english', coalesce(sku, '')), 'B') ||
                     setweight(to_tsvector('english', coalesce(description, '')), 'C')) STORED,
    version      integer NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT products_sku_key UNIQUE (sku)
);
CREATE TRIGGER products_touch BEFORE UPDATE ON products
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
-- The lab's two indexes that took queries from 150 ms to 12 ms: category, and
-- (through users_email_key) email. Listing pages filter on active and sort by id.
CREATE INDEX products_category_idx ON products (category_id) WHERE active;
CREATE INDEX products_active_id_idx ON products (id) WHERE active;
CREATE INDEX products_search_idx ON products USING gin (search);
CREATE INDEX products_name_lower_idx ON products (lower(name) text_pattern_ops);

CREATE TABLE inventory_movements (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id  bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    delta       integer NOT NULL CHECK (delta <> 0),
    stock_after integer NOT NULL CHECK (stock_after >= 0),
    reason      text NOT NULL CHECK (reason IN ('initial', 'restock', 'adjustment', 'sale',
                                                 'cancellation', 'return', 'damage', 'expiry')),
    note        text NOT NULL DEFAULT '',
    order_id    bigint,
    actor_id    bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inventory_movements_product_idx ON inventory_movements (product_id, created_at DESC);

CREATE TABLE carts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER carts_touch BEFORE UPDATE ON carts
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE TABLE cart_items (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cart_id     bigint NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    product_id  bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    quantity    integer NOT NULL CHECK (quantity BETWEEN 1 AND 999),
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT cart_items_unique UNIQUE (cart_id, product_id)
);

CREATE TABLE orders (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id             bigint NOT NULL REFERENCES users (id),
    status              text NOT NULL DEFAULT 'pending_payment'
                        CHECK (status IN ('pending_payment', 'paid', 'packed', 'shipped',
                                          'delivered', 'cancelled', 'refunded')),
    payment_status      text NOT NULL DEFAULT 'unpaid'
                        CHECK (payment_status IN ('unpaid', 'pending', 'paid', 'failed',
                                                  'refunded', 'partially_refunded')),
    currency            char(3) NOT NULL DEFAULT 'USD',
    subtotal_cents      bigint NOT NULL CHECK (subtotal_cents >= 0),
    shipping_cents      bigint NOT NULL DEFAULT 0 CHECK (shipping_cents >= 0),
    total_cents         bigint NOT NULL CHECK (total_cents >= 0),
    refunded_cents      bigint NOT NULL DEFAULT 0 CHECK (refunded_cents >= 0),
    email               citext NOT NULL,
    shipping_address    jsonb NOT NULL DEFAULT '{}',
    payment_provider    text NOT NULL DEFAULT 'manual',
    payment_intent_id   text UNIQUE,
    idempotency_key     text,
    carrier             text,
    tracking_number     text,
    expires_at          timestamptz,
    version             integer NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT orders_idempotency_unique UNIQUE (user_id, idempotency_key)
);
CREATE TRIGGER orders_touch BEFORE UPDATE ON orders
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE INDEX orders_user_idx ON orders (user_id, created_at DESC);
CREATE INDEX orders_status_idx ON orders (status, created_at DESC);
CREATE INDEX orders_expiry_idx ON orders (expires_at) WHERE status = 'pending_payment';

ALTER TABLE inventory_movements
    ADD CONSTRAINT inventory_movements_order_fk FOREIGN KEY (order_id) REFERENCES orders (id);

CREATE TABLE order_items (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id          bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id        bigint REFERENCES products (id) ON DELETE SET NULL,
    sku               text NOT NULL,
    name              text NOT NULL,
    unit_price_cents  bigint NOT NULL CHECK (unit_price_cents >= 0),
    quantity          integer NOT NULL CHECK (quantity > 0),
    line_total_cents  bigint NOT NULL CHECK (line_total_cents >= 0)
);
CREATE INDEX order_items_order_idx ON order_items (order_id);
CREATE INDEX order_items_product_idx ON order_items (product_id);

CREATE TABLE order_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id    bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    from_status text,
    to_status   text NOT NULL,
    actor_id    bigint REFERENCES users (id) ON DELETE SET NULL,
    actor_label text NOT NULL DEFAULT '',
    note        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_events_order_idx ON order_events (order_id, created_at);

-- Append-only: the application has no UPDATE or DELETE path, and the trigger stops
-- one from being added by accident.
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    actor_id    bigint REFERENCES users (id) ON DELETE SET NULL,
    actor_label text NOT NULL DEFAULT '',
    action      text NOT NULL,
    target_type text NOT NULL,
    target_id   text NOT NULL DEFAULT '',
    before      jsonb,
    after       jsonb,
    source      text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_created_idx ON audit_log (created_at DESC);
CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
