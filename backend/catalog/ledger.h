#pragma once

#include "core/actor.h"
#include "core/result.h"

#include <QString>

#include <optional>

namespace shop::db {
class Connection;
}

namespace shop::catalog {

// One line of the inventory ledger: every stock change, whoever made it (an admin's
// adjustment, a sale, a cancellation), so the ledger always sums to the stock.
struct Movement
{
    qint64 productId = 0;
    int delta = 0;
    qint64 stockAfter = 0;
    QString reason; // initial, restock, adjustment, sale, cancellation, return, damage, expiry
    QString note;
    std::optional<qint64> orderId;
};

// Appends `movement` on `connection`, inside the caller's transaction (the one that
// changed the stock).
Status recordMovement(db::Connection &connection, const Movement &movement, const Actor &actor);

} // namespace shop::catalog
