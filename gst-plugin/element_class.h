// What the plugin's element classes share: their always-present sink/src pad templates and
// reading string property values.
#pragma once

#include <gst/gst.h>

#include <string>

namespace hat::gst {

// "sink" and "src" templates, both with the caps `caps` (a caps string).
void add_sink_src_templates(GstElementClass* klass, const char* caps);

// A string property's value; "" for NULL.
std::string string_value(const GValue* value);

}  // namespace hat::gst
