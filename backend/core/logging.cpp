#include "logging.h"

namespace shop {

Q_LOGGING_CATEGORY(lcApp, "shop.app")
Q_LOGGING_CATEGORY(lcDb, "shop.db")
Q_LOGGING_CATEGORY(lcCluster, "shop.cluster")
Q_LOGGING_CATEGORY(lcMigrate, "shop.migrate")
Q_LOGGING_CATEGORY(lcHttp, "shop.http")
Q_LOGGING_CATEGORY(lcAccess, "shop.access")
Q_LOGGING_CATEGORY(lcMail, "shop.mail")

void installLogFormat()
{
    if (qEnvironmentVariableIsEmpty("QT_MESSAGE_PATTERN")) {
        qSetMessagePattern(QStringLiteral(
            "ts=%{time yyyy-MM-ddThh:mm:ss.zzz} level=%{if-debug}debug%{endif}%{if-info}info%{endif}"
            "%{if-warning}warn%{endif}%{if-critical}error%{endif}%{if-fatal}fatal%{endif} "
            "cat=%{category} %{message}"));
    }
}

} // namespace shop
