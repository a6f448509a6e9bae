#include "testcluster.h"

#include "db/database.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QUuid>

#include <sys/stat.h>

using namespace Qt::StringLiterals;

namespace shop::test {

TestCluster::TestCluster() : m_dir(QDir::tempPath() + u"/shopdesk-test-XXXXXX"_s)
{
    // The server account (when tests run as root) must be able to enter the directory.
    ::chmod(QFile::encodeName(m_dir.path()).constData(), 0755);
}

TestCluster::~TestCluster()
{
    m_cluster.reset(); // stops the server before the directory goes
}

bool TestCluster::start()
{
    db::LocalCluster::Options options;
    options.dataDir = m_dir.path();
    options.fastInit = true;
    auto cluster = db::LocalCluster::start(options);
    if (!cluster) {
        m_error = cluster.error().message();
        return false;
    }
    m_cluster = std::move(*cluster);
    return true;
}

db::ConnectionOptions TestCluster::connectionOptions(const QString &database) const
{
    db::ConnectionOptions o = m_cluster->connection();
    o.database = database;
    return o;
}

db::ConnectionOptions TestCluster::createDatabase(const QString &name)
{
    const QString connectionName = u"testcluster-"_s + QUuid::createUuid().toString(QUuid::Id128);
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QPSQL"_s, connectionName);
        connectionOptions(u"postgres"_s).applyTo(db);
        if (!db.open())
            qFatal("test cluster: %s", qPrintable(db.lastError().text()));
        QSqlQuery q(db);
        if (!q.exec(u"DROP DATABASE IF EXISTS \"%1\" WITH (FORCE)"_s.arg(name))
            || !q.exec(u"CREATE DATABASE \"%1\""_s.arg(name)))
            qFatal("test cluster: %s", qPrintable(q.lastError().text()));
        db.close();
    }
    QSqlDatabase::removeDatabase(connectionName);
    return connectionOptions(name);
}

} // namespace shop::test
