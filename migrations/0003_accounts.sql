-- Accounts and security (OWASP ASVS 4.0 level 2, chapters 2 and 3; RFC 8725).

ALTER TABLE users
    ADD COLUMN lockouts            integer NOT NULL DEFAULT 0 CHECK (lockouts >= 0),
    ADD COLUMN password_changed_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN must_reset_password boolean NOT NULL DEFAULT false,
    ADD COLUMN totp_last_step      bigint;
CREATE INDEX users_role_idx ON users (role) WHERE role <> 'customer';

-- Refresh tokens: only a SHA-256 of the random token is stored. Each use rotates it
-- (the old row gets used_at and replaced_by); a token presented twice means it was
-- stolen, and its whole family (every token descended from one login) is revoked.
CREATE TABLE refresh_tokens (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family       uuid NOT NULL,
    token_hash   bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz,
    replaced_by  bigint REFERENCES refresh_tokens (id) ON DELETE SET NULL,
    revoked_at   timestamptz,
    revoked_why  text,
    ip           text NOT NULL DEFAULT '',
    user_agent   text NOT NULL DEFAULT ''
);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id) WHERE revoked_at IS NULL;
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family);

-- Email verification and password reset: hashed, single use, expiring.
CREATE TABLE one_time_tokens (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     text NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX one_time_tokens_user_idx ON one_time_tokens (user_id, purpose) WHERE used_at IS NULL;

-- Two-factor recovery codes, hashed, each usable once.
CREATE TABLE recovery_codes (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  bytea NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT recovery_codes_unique UNIQUE (user_id, code_hash)
);

-- Every sign-in attempt, for the Users view's login history.
CREATE TABLE login_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint REFERENCES users (id) ON DELETE CASCADE,
    email       citext NOT NULL,
    success     boolean NOT NULL,
    reason      text NOT NULL DEFAULT '',
    ip          text NOT NULL DEFAULT '',
    user_agent  text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_events_user_idx ON login_events (user_id, created_at DESC);

-- Every message the shop sends goes here first, in the transaction that caused it;
-- a sender delivers it by SMTP when one is configured. Without SMTP the admin app's
-- Outbox view shows it, so a local admin can still follow a link.
CREATE TABLE email_outbox (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    to_address       text NOT NULL,
    subject          text NOT NULL,
    body_text        text NOT NULL,
    kind             text NOT NULL DEFAULT '',
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'sent', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    last_error       text NOT NULL DEFAULT '',
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz
);
CREATE INDEX email_outbox_due_idx ON email_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX email_outbox_created_idx ON email_outbox (created_at DESC);

-- Shop-wide switches an admin sets (e.g. two-factor required for staff).
CREATE TABLE shop_settings (
    key         text PRIMARY KEY,
    value       jsonb NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
