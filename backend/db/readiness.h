#pragma once

#include "database.h"

#include <QElapsedTimer>
#include <QMutex>
#include <QString>

#include <atomic>

namespace shop::db {

// Answers "is the database reachable?" from a cached probe: however often a load
// balancer asks, the database sees at most one trivial query per TTL. (The learning
// lab's health checks took a pool connection each time and ate 20 % of the pool.)
class ReadinessProbe
{
public:
    struct State
    {
        bool ready = false;
        QString detail;
        qint64 ageMs = 0;
    };

    ReadinessProbe(Database &database, int ttlMs = 1000);

    State check();
    qint64 probesRun() const { return m_probes.load(); }

private:
    Database &m_database;
    const int m_ttlMs;
    QElapsedTimer m_clock;
    std::atomic<qint64> m_checkedAtMs{-1};
    std::atomic<bool> m_ready{false};
    std::atomic<bool> m_probing{false};
    std::atomic<qint64> m_probes{0};
    QMutex m_detailMutex;
    QString m_detail;
};

} // namespace shop::db
