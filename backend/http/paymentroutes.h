#pragma once

#include "router.h"

#include <QString>

namespace shop::auth {
class AuthService;
}

namespace shop::payments {
class StripeProvider;
class StripeWebhook;
} // namespace shop::payments

namespace shop::http {

struct PaymentRoutesContext
{
    auth::AuthService *auth = nullptr;
    payments::StripeProvider *stripe = nullptr;  // null: the shop takes manual payments
    payments::StripeWebhook *webhook = nullptr;  // null: no Stripe
    QString publishableKey;                      // pk_... for the storefront (Stripe only)
    QString instructions;                        // manual: how to pay
};

// Payments (DESIGN.md "Payments").
//   POST /api/payment/create-intent {order_id} (Bearer) -> {client_secret, amount}
//        (seed-compatible; amount in currency units) plus amount_cents, currency,
//        payment_intent_id, status. 403 FORBIDDEN for someone else's order, 409
//        ALREADY_PAID, 409 ORDER_NOT_PAYABLE, 409 PAYMENT_PROVIDER_MANUAL when the shop
//        takes manual payments (the client shows /api/payment/config's instructions).
//   POST /api/webhook/stripe (Stripe-Signature over the raw body) -> {received, outcome}
//        400 INVALID_SIGNATURE; 503 + Retry-After when the order is not visible yet.
//   GET  /api/payment/config -> {provider: "manual"|"stripe", publishable_key (stripe),
//        instructions (manual)}
// create-intent and the webhook talk to Stripe or the database: worker pool.
void addPaymentRoutes(Router &router, const PaymentRoutesContext *context);

} // namespace shop::http
