#pragma once

#include <QMainWindow>

namespace shop {

class Runtime;

class MainWindow : public QMainWindow
{
    Q_OBJECT
public:
    explicit MainWindow(Runtime &runtime, QWidget *parent = nullptr);

private:
    Runtime &m_runtime;
};

} // namespace shop
