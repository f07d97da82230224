// The elements of the "hat" plugin (registered in plugin.cpp).
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS
GST_ELEMENT_REGISTER_DECLARE(hatdetect);
GST_ELEMENT_REGISTER_DECLARE(hattrack);
GST_ELEMENT_REGISTER_DECLARE(hatembed);
GST_ELEMENT_REGISTER_DECLARE(hatoverlay);
GST_ELEMENT_REGISTER_DECLARE(hatevents);
GST_ELEMENT_REGISTER_DECLARE(hatmatch);
GST_ELEMENT_REGISTER_DECLARE(hatpublish);
G_END_DECLS
