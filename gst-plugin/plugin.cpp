// The "hat" GStreamer plugin: person re-identification for live video.
#include <gst/gst.h>

#include "gst-plugin/elements.h"

static gboolean plugin_init(GstPlugin* plugin) {
  gboolean ok = FALSE;
  ok |= GST_ELEMENT_REGISTER(hatdetect, plugin);
  ok |= GST_ELEMENT_REGISTER(hattrack, plugin);
  ok |= GST_ELEMENT_REGISTER(hatembed, plugin);
  ok |= GST_ELEMENT_REGISTER(hatoverlay, plugin);
  ok |= GST_ELEMENT_REGISTER(hatevents, plugin);
  ok |= GST_ELEMENT_REGISTER(hatmatch, plugin);
  ok |= GST_ELEMENT_REGISTER(hatpublish, plugin);
  return ok;
}

#define PACKAGE "hat-reid"
GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, hat,
                  "Person detection, tracking and re-identification (HAT) for live video",
                  plugin_init, HAT_VERSION, "MIT", "hat-reid",
                  "https://github.com/hat-reid/hat-reid")
