#include "mainwindow.h"

#include "shop/runtime.h"

namespace shop {

MainWindow::MainWindow(Runtime &runtime, QWidget *parent) : QMainWindow(parent), m_runtime(runtime)
{
    setWindowTitle(QStringLiteral("ShopDesk"));
}

} // namespace shop
