#include "expiryjob.h"

#include "core/logging.h"
#include "db/database.h"
#include "orderservice.h"

#include <QThread>
#include <QTimer>

namespace shop::orders {

ExpiryJob::ExpiryJob(OrderService &service, db::Database &database, std::chrono::seconds interval)
    : m_service(service), m_database(database), m_interval(interval)
{}

ExpiryJob::~ExpiryJob()
{
    stop();
}

void ExpiryJob::start()
{
    if (m_thread)
        return;
    m_thread = std::make_unique<QThread>();
    m_thread->setObjectName(QStringLiteral("order-expiry"));
    m_timer = new QTimer;
    m_timer->setInterval(m_interval);
    m_timer->moveToThread(m_thread.get());
    QObject::connect(m_timer, &QTimer::timeout, m_timer, [this] { runOnce(); });
    QObject::connect(m_thread.get(), &QThread::started, m_timer, [this] {
        m_timer->start();
        runOnce(); // orders that expired while no instance was running
    });
    QObject::connect(m_thread.get(), &QThread::finished, m_thread.get(), [this] {
        delete m_timer;
        m_timer = nullptr;
        m_database.releaseThreadConnection();
    }, Qt::DirectConnection);
    m_thread->start();
}

void ExpiryJob::stop()
{
    if (!m_thread)
        return;
    m_thread->quit();
    m_thread->wait();
    m_thread.reset();
}

void ExpiryJob::runOnce()
{
    // Drain in batches, so a backlog after downtime clears in one tick.
    int total = 0;
    for (;;) {
        auto expired = m_service.expireUnpaid(100);
        if (!expired) {
            qCWarning(lcApp).noquote() << "order expiry:" << expired.error().message();
            break;
        }
        total += *expired;
        if (*expired < 100)
            break;
    }
    if (total > 0) {
        qCInfo(lcApp) << "released the stock of" << total << "unpaid orders past their payment window";
        Q_EMIT expired(total);
    }
}

} // namespace shop::orders
