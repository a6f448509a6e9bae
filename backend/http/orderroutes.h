#pragma once

#include "adminguard.h"
#include "router.h"

namespace shop::auth {
class AuthService;
}

namespace shop::orders {
class CartService;
class OrderService;
} // namespace shop::orders

namespace shop::http {

struct OrderRoutesContext
{
    auth::AuthService *auth = nullptr;
    orders::CartService *carts = nullptr;
    orders::OrderService *orders = nullptr;
    AdminGuard adminGuard; // /api/admin/orders: staff and admins
};

// The shopper's cart and orders, and the admin order API. All run on the worker pool
// (each is a transaction). Money is integer cents (*_cents) beside the lab's numbers.
//
// Cart (Bearer, or a guest's X-Cart-Token header; a guest's first POST creates the
// cart and answers its token in data.cart_token):
//   GET    /api/cart                      -> cart
//   POST   /api/cart {product_id,quantity} -> cart (adds to the line)
//   PATCH  /api/cart/items/{id} {quantity} -> cart
//   DELETE /api/cart/items/{id}           -> cart
//   DELETE /api/cart/clear                -> cart
//   POST   /api/cart/merge {cart_token}   -> cart (Bearer: a guest cart joins the account's)
//   cart = {items:[{id,product_id,sku,quantity,name,price,price_cents,image_url,subtotal,
//           subtotal_cents,stock,available}], total, total_cents, currency, item_count}
// Orders (Bearer):
//   POST /api/orders {shipping_address:{name,line1,line2,city,region,postal_code,country,
//        phone}, email?, note?}  [Idempotency-Key header] -> 201 order (200 + header
//        Idempotent-Replayed: true for a repeat of a key)
//   GET  /api/orders                      -> [order] newest first (events omitted)
//   GET  /api/orders/{id}                 -> order (403 FORBIDDEN: someone else's)
//   POST /api/orders/{id}/cancel {reason?} -> order
//   order = {id, number, status, payment_status, payment_provider, currency, total,
//           total_cents, subtotal, subtotal_cents, shipping, shipping_cents, refunded_cents,
//           email, shipping_address, note, carrier, tracking_number, expires_at, created_at,
//           updated_at, item_count, can_cancel, items:[{id,product_id,sku,name,price,
//           price_cents,quantity,subtotal,subtotal_cents}], events:[{from_status,to_status,
//           actor,note,created_at}], payments:[{kind,provider,amount_cents,status,reason,
//           created_at}]}
// Admin (staff, admin):
//   GET  /api/admin/orders?status&q&offset&limit -> {orders:[summary], total, counts:{status:n}}
//   GET  /api/admin/orders/{id}           -> order + legal_actions
//   POST /api/admin/orders/{id}/transition {action: mark_paid|pack|ship|deliver|cancel,
//        note?, carrier?, tracking_number?} -> order
//   POST /api/admin/orders/{id}/refund {amount_cents | amount, reason} -> order
void addOrderRoutes(Router &router, const OrderRoutesContext *context);

} // namespace shop::http
