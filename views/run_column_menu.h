#pragma once

// The run table header's context menu: add a column of any configuration path present in the runs or
// of any metric with its aggregate (last, best, min, max), by submenus or by typing a field with
// completion, and remove added columns. The columns live in RunTableModel (addColumn).

class QMenu;
class QWidget;

namespace zoolab {

class RunTableModel;

// Fills `menu` with the column actions for the header section under the pointer (-1: none).
void addRunColumnActions(QMenu* menu, RunTableModel* model, int section, QWidget* dialogParent);

// The "Add column…" dialog: a field typed with completion over the model's configuration paths and
// metric fields, checked as it is typed. Adds the column on OK.
void askForRunColumn(RunTableModel* model, QWidget* parent);

}  // namespace zoolab
