#include "readiness.h"

using namespace Qt::StringLiterals;

namespace shop::db {

ReadinessProbe::ReadinessProbe(Database &database, int ttlMs) : m_database(database), m_ttlMs(ttlMs)
{
    m_clock.start();
}

ReadinessProbe::State ReadinessProbe::check()
{
    const qint64 now = m_clock.elapsed();
    const qint64 checked = m_checkedAtMs.load();
    const bool stale = checked < 0 || now - checked >= m_ttlMs;
    // One caller refreshes; the others answer from the last result meanwhile.
    if (stale && !m_probing.exchange(true)) {
        bool ready = false;
        QString detail;
        if (auto connection = m_database.acquire(std::chrono::milliseconds(250)); !connection) {
            detail = connection.error().message();
        } else if (auto q = connection->query(u"SELECT 1"_s); !q.exec()) {
            detail = u"the database did not answer"_s;
        } else {
            ready = true;
            detail = u"ok"_s;
        }
        ++m_probes;
        {
            QMutexLocker lock(&m_detailMutex);
            m_detail = detail;
        }
        m_ready = ready;
        m_checkedAtMs = m_clock.elapsed();
        m_probing = false;
    }
    State state;
    state.ready = m_ready.load();
    state.ageMs = qMax<qint64>(0, m_clock.elapsed() - m_checkedAtMs.load());
    QMutexLocker lock(&m_detailMutex);
    state.detail = m_detail.isEmpty() ? u"not checked yet"_s : m_detail;
    return state;
}

} // namespace shop::db
