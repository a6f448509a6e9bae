#include "order.h"

using namespace Qt::StringLiterals;

namespace shop::orders {

namespace {

struct ActionName
{
    Action action;
    QStringView name;
};

constexpr ActionName ActionNames[] = {
    {Action::MarkPaid, u"mark_paid"}, {Action::Pack, u"pack"},       {Action::Ship, u"ship"},
    {Action::Deliver, u"deliver"},    {Action::Cancel, u"cancel"},
};

} // namespace

QString actionName(Action action)
{
    for (const ActionName &entry : ActionNames) {
        if (entry.action == action)
            return entry.name.toString();
    }
    return {};
}

std::optional<Action> actionFromName(QStringView name)
{
    for (const ActionName &entry : ActionNames) {
        if (entry.name == name)
            return entry.action;
    }
    return std::nullopt;
}

QStringList allStatuses()
{
    return {QString::fromLatin1(status::PendingPayment), QString::fromLatin1(status::Paid),
            QString::fromLatin1(status::Packed),         QString::fromLatin1(status::Shipped),
            QString::fromLatin1(status::Delivered),      QString::fromLatin1(status::Cancelled),
            QString::fromLatin1(status::Refunded)};
}

} // namespace shop::orders
