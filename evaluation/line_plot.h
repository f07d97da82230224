// A small line chart as PNG (OpenCV drawing): CMC curves, training loss and mAP curves.
#pragma once

#include <string>
#include <vector>

namespace hat {

struct Series {
  std::string name;
  std::vector<double> x, y;
};

// Writes atomically. `y_max` <= 0 fits the axis to the data.
void write_line_plot(const std::string& path, const std::string& title, const std::string& x_label,
                     const std::string& y_label, const std::vector<Series>& series, double y_min,
                     double y_max);

}  // namespace hat
