#pragma once

#include <QObject>

#include <chrono>
#include <memory>

class QThread;
class QTimer;

namespace shop::db {
class Database;
}

namespace shop::orders {

class OrderService;

// Runs OrderService::expireUnpaid() every `interval` on a thread of its own (it holds
// a pool lease while it works; the I/O threads never wait for it). Every instance runs
// one; SKIP LOCKED in the service makes that safe.
class ExpiryJob : public QObject
{
    Q_OBJECT
public:
    ExpiryJob(OrderService &service, db::Database &database, std::chrono::seconds interval);
    ~ExpiryJob() override;

    void start();
    void stop();

Q_SIGNALS:
    // After each run that expired something (on the job's thread).
    void expired(int count);

private:
    void runOnce();

    OrderService &m_service;
    db::Database &m_database;
    std::chrono::seconds m_interval;
    std::unique_ptr<QThread> m_thread;
    QTimer *m_timer = nullptr; // lives on m_thread
};

} // namespace shop::orders
