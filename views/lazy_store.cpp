#include "views/lazy_store.h"

#include <exception>

#include "engine/store/store.h"

namespace zoolab {

LazyStore::LazyStore() = default;
LazyStore::~LazyStore() = default;

void LazyStore::setPath(const QString& path) {
  m_path = path;
  m_store.reset();
  m_error.clear();
}

Store* LazyStore::get() {
  if (!m_store && !m_path.isEmpty()) {
    try {
      m_store = std::make_unique<Store>(m_path.toStdString());
      m_error.clear();
    } catch (const std::exception& error) {
      m_error = QString::fromUtf8(error.what());
    }
  }
  return m_store.get();
}

}  // namespace zoolab
