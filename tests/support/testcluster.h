#pragma once

#include "db/connectionoptions.h"
#include "db/localcluster.h"

#include <QTemporaryDir>

#include <memory>

namespace shop::test {

// A throwaway PostgreSQL cluster for one test binary: the real server, started from
// the same code the app uses (LocalCluster), in a temporary directory, with fsync off.
// Never skipped: if it cannot start, the test fails and says why.
class TestCluster
{
public:
    TestCluster();
    ~TestCluster();

    // Starts the cluster; QVERIFY this.
    bool start();
    QString errorString() const { return m_error; }

    db::ConnectionOptions connectionOptions(const QString &database = QStringLiteral("shopdesk")) const;
    // A fresh, empty database; returns its options.
    db::ConnectionOptions createDatabase(const QString &name);
    QString urlFor(const db::ConnectionOptions &options) const { return options.toUri(); }

private:
    QTemporaryDir m_dir;
    std::unique_ptr<db::LocalCluster> m_cluster;
    QString m_error;
};

} // namespace shop::test
