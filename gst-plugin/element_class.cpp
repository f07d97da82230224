#include "gst-plugin/element_class.h"

namespace hat::gst {

void add_sink_src_templates(GstElementClass* klass, const char* caps_string) {
  GstCaps* caps = gst_caps_from_string(caps_string);
  gst_element_class_add_pad_template(
      klass, gst_pad_template_new("sink", GST_PAD_SINK, GST_PAD_ALWAYS, caps));
  gst_element_class_add_pad_template(
      klass, gst_pad_template_new("src", GST_PAD_SRC, GST_PAD_ALWAYS, caps));
  gst_caps_unref(caps);
}

std::string string_value(const GValue* value) {
  const char* s = g_value_get_string(value);
  return s ? s : "";
}

}  // namespace hat::gst
