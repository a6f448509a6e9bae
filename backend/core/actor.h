#pragma once

#include <QString>

#include <optional>

namespace shop {

// Who made a change, for the inventory ledger and the audit log. `label` is what a
// person reads ("admin@shop.test", "desktop"); `source` says from where: "desktop",
// or the client address of an admin API call.
struct Actor
{
    std::optional<qint64> userId;
    QString label;
    QString source;
};

} // namespace shop
