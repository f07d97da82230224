/**
 * SECTION:element-hatpublish
 * @title: hatpublish
 *
 * Publishes one camera's tracked people to an MQTT broker the way Frigate does, so that Home
 * Assistant, Frigate-aware tools and NVR scripts can follow identities: `<prefix>/events` carries
 * Frigate's `{type: new|update|end, before, after}` envelope when a track starts, when its global
 * identity changes and when it ends (never per frame); `<prefix>/tracked_object_update` carries a
 * `{type: reid}` update with the global id, name, score and nearest candidates each time hatmatch
 * recognises a track, also when a known person comes back; `<prefix>/identity/<name or id>/state`
 * keeps each identity's "last seen" camera and time (retained); `<prefix>/available` is `online`
 * (retained) while connected and `offline` as the last will. With `ha-discovery` enrolled people
 * appear in Home Assistant as "last seen" sensors. Embeddings are sent only with
 * `include-embeddings`: they are biometric data. docs/METADATA.md ("MQTT") has every payload.
 *
 * Place it after hatmatch (or after hattrack, without global identities). The broker never stalls
 * the pipeline: messages wait in a bounded queue while it is away (the oldest dropped and
 * counted beyond `max-queue`), the connection is retried with back-off, and video passes
 * through untouched. Elements of one process with the same broker settings share one connection.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 filesrc location=vtest.avi ! decodebin ! videoconvert ! hatdetect ! hattrack ! \
 *   hatembed model=model.hat ! m.sink_0  hatmatch name=m sink_0::camera-id=entrance \
 *   m.src_0 ! hatpublish host=127.0.0.1 camera-id=entrance ! fakesink
 * ]|
 */
#include <gst/base/gstbasetransform.h>
#include <gst/gst.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/error.h"
#include "gst-plugin/element_class.h"
#include "gst-plugin/elements.h"
#include "gst-plugin/roi_meta.h"
#include "gst-plugin/wall_clock.h"
#include "publish/mqtt_client.h"
#include "publish/tracked_object_events.h"

GST_DEBUG_CATEGORY_STATIC(hat_publish_debug);
#define GST_CAT_DEFAULT hat_publish_debug

namespace {

namespace p = hat::publish;

// The properties, copied at start.
struct PublishSettings {
  p::MqttOptions mqtt;
  p::EventOptions events;
};

// From start to stop; the streaming thread's, except `client` (also read by property reads).
struct PublishState {
  std::shared_ptr<p::MqttClient> client;
  std::unique_ptr<p::TrackedObjectEvents> events;
  hat::gst::WallClockAnchor clock;
  std::string reported;           // the broker problem last posted as a warning ("" while fine)
  uint64_t dropped_reported = 0;  // drops counted up to the last connection
  bool drop_warned = false;       // drops of this outage have been reported
};

struct PublishElement {
  std::mutex settings_mutex;
  PublishSettings settings;
  std::mutex state_mutex;  // guards state.client against property reads
  PublishState state;
};

}  // namespace

G_BEGIN_DECLS
#define GST_TYPE_HAT_PUBLISH (gst_hat_publish_get_type())
G_DECLARE_FINAL_TYPE(GstHatPublish, gst_hat_publish, GST, HAT_PUBLISH, GstBaseTransform)
G_END_DECLS

struct _GstHatPublish {
  GstBaseTransform parent;
  PublishElement* impl;
};

G_DEFINE_TYPE_WITH_CODE(GstHatPublish, gst_hat_publish, GST_TYPE_BASE_TRANSFORM,
                        GST_DEBUG_CATEGORY_INIT(hat_publish_debug, "hatpublish", 0,
                                                "HAT MQTT publishing"))
GST_ELEMENT_REGISTER_DEFINE(hatpublish, "hatpublish", GST_RANK_NONE, GST_TYPE_HAT_PUBLISH)

enum {
  PROP_0,
  PROP_HOST,
  PROP_PORT,
  PROP_CLIENT_ID,
  PROP_USERNAME,
  PROP_PASSWORD,
  PROP_CA_FILE,
  PROP_CERT_FILE,
  PROP_KEY_FILE,
  PROP_QOS,
  PROP_KEEP_ALIVE,
  PROP_MAX_QUEUE,
  PROP_TOPIC_PREFIX,
  PROP_CAMERA_ID,
  PROP_END_TIMEOUT,
  PROP_INCLUDE_EMBEDDINGS,
  PROP_HA_DISCOVERY,
  PROP_HA_PREFIX,
  PROP_CONNECTED,
  PROP_PUBLISHED,
  PROP_QUEUED,
  PROP_DROPPED,
};

static std::shared_ptr<p::MqttClient> client_of(GstHatPublish* self) {
  std::lock_guard<std::mutex> lock(self->impl->state_mutex);
  return self->impl->state.client;
}

static void gst_hat_publish_set_property(GObject* object, guint id, const GValue* value,
                                         GParamSpec* pspec) {
  auto* self = GST_HAT_PUBLISH(object);
  std::lock_guard<std::mutex> lock(self->impl->settings_mutex);
  auto& m = self->impl->settings.mqtt;
  auto& e = self->impl->settings.events;
  switch (id) {
    case PROP_HOST:
      m.host = hat::gst::string_value(value);
      break;
    case PROP_PORT:
      m.port = static_cast<int>(g_value_get_uint(value));
      break;
    case PROP_CLIENT_ID:
      m.client_id = hat::gst::string_value(value);
      break;
    case PROP_USERNAME:
      m.username = hat::gst::string_value(value);
      break;
    case PROP_PASSWORD:
      m.password = hat::gst::string_value(value);
      break;
    case PROP_CA_FILE:
      m.ca_file = hat::gst::string_value(value);
      break;
    case PROP_CERT_FILE:
      m.cert_file = hat::gst::string_value(value);
      break;
    case PROP_KEY_FILE:
      m.key_file = hat::gst::string_value(value);
      break;
    case PROP_QOS:
      m.qos = static_cast<int>(g_value_get_uint(value));
      break;
    case PROP_KEEP_ALIVE:
      m.keepalive_s = static_cast<int>(g_value_get_uint(value));
      break;
    case PROP_MAX_QUEUE:
      m.max_queue = g_value_get_uint(value);
      break;
    case PROP_TOPIC_PREFIX:
      e.prefix = hat::gst::string_value(value);
      break;
    case PROP_CAMERA_ID:
      e.camera = hat::gst::string_value(value);
      break;
    case PROP_END_TIMEOUT:
      e.end_timeout_us = static_cast<int64_t>(g_value_get_uint(value)) * 1000;
      break;
    case PROP_INCLUDE_EMBEDDINGS:
      e.include_embeddings = g_value_get_boolean(value);
      break;
    case PROP_HA_DISCOVERY:
      e.ha_discovery = g_value_get_boolean(value);
      break;
    case PROP_HA_PREFIX:
      e.ha_prefix = hat::gst::string_value(value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
      break;
  }
}

static void gst_hat_publish_get_property(GObject* object, guint id, GValue* value,
                                         GParamSpec* pspec) {
  auto* self = GST_HAT_PUBLISH(object);
  if (id >= PROP_CONNECTED) {
    const auto client = client_of(self);
    const p::MqttStats s = client ? client->stats() : p::MqttStats{};
    if (id == PROP_CONNECTED) g_value_set_boolean(value, s.connected);
    if (id == PROP_PUBLISHED) g_value_set_uint64(value, s.published);
    if (id == PROP_QUEUED) g_value_set_uint(value, static_cast<guint>(s.queued));
    if (id == PROP_DROPPED) g_value_set_uint64(value, s.dropped);
    return;
  }
  std::lock_guard<std::mutex> lock(self->impl->settings_mutex);
  const auto& m = self->impl->settings.mqtt;
  const auto& e = self->impl->settings.events;
  auto set_string = [value](const std::string& s) {
    g_value_set_string(value, s.empty() ? nullptr : s.c_str());
  };
  switch (id) {
    case PROP_HOST:
      set_string(m.host);
      break;
    case PROP_PORT:
      g_value_set_uint(value, static_cast<guint>(m.port));
      break;
    case PROP_CLIENT_ID:
      set_string(m.client_id);
      break;
    case PROP_USERNAME:
      set_string(m.username);
      break;
    case PROP_CA_FILE:
      set_string(m.ca_file);
      break;
    case PROP_CERT_FILE:
      set_string(m.cert_file);
      break;
    case PROP_KEY_FILE:
      set_string(m.key_file);
      break;
    case PROP_QOS:
      g_value_set_uint(value, static_cast<guint>(m.qos));
      break;
    case PROP_KEEP_ALIVE:
      g_value_set_uint(value, static_cast<guint>(m.keepalive_s));
      break;
    case PROP_MAX_QUEUE:
      g_value_set_uint(value, static_cast<guint>(m.max_queue));
      break;
    case PROP_TOPIC_PREFIX:
      set_string(e.prefix);
      break;
    case PROP_CAMERA_ID:
      set_string(e.camera);
      break;
    case PROP_END_TIMEOUT:
      g_value_set_uint(value, static_cast<guint>(e.end_timeout_us / 1000));
      break;
    case PROP_INCLUDE_EMBEDDINGS:
      g_value_set_boolean(value, e.include_embeddings);
      break;
    case PROP_HA_DISCOVERY:
      g_value_set_boolean(value, e.ha_discovery);
      break;
    case PROP_HA_PREFIX:
      set_string(e.ha_prefix);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
      break;
  }
}

// Hands messages to the connection and reports, once per change, a broker that is away and the
// messages dropped from the full queue: warnings, never errors, since frames keep flowing.
static void send(GstHatPublish* self, std::vector<p::MqttMessage> messages) {
  auto& s = self->impl->state;
  for (auto& m : messages) s.client->publish(std::move(m));
  const p::MqttStats stats = s.client->stats();
  const size_t bound = s.client->options().max_queue;
  const std::string problem = stats.connected ? "" : stats.last_error;
  if (problem != s.reported) {
    s.reported = problem;
    if (!problem.empty()) {
      GST_ELEMENT_WARNING(self, RESOURCE, WRITE,
                          ("%s; messages are queued (up to max-queue=%zu) and the connection is "
                           "retried",
                           problem.c_str(), bound),
                          (nullptr));
    } else if (stats.dropped > s.dropped_reported) {
      GST_ELEMENT_WARNING(self, RESOURCE, WRITE,
                          ("MQTT broker %s: connected again; %" G_GUINT64_FORMAT
                           " messages were dropped while it was away (max-queue=%zu)",
                           s.client->broker().c_str(), stats.dropped - s.dropped_reported, bound),
                          (nullptr));
    } else {
      GST_INFO_OBJECT(self, "connected to MQTT broker %s", s.client->broker().c_str());
    }
    if (problem.empty()) {
      s.dropped_reported = stats.dropped;
      s.drop_warned = false;
    }
  }
  if (stats.dropped > s.dropped_reported && !s.drop_warned) {
    GST_ELEMENT_WARNING(self, RESOURCE, WRITE,
                        ("MQTT broker %s: queue full at max-queue=%zu, the oldest messages are "
                         "dropped (counted in the dropped property)",
                         s.client->broker().c_str(), bound),
                        (nullptr));
    s.drop_warned = true;
  }
}

static gboolean gst_hat_publish_start(GstBaseTransform* trans) {
  auto* self = GST_HAT_PUBLISH(trans);
  PublishSettings settings;
  {
    std::lock_guard<std::mutex> lock(self->impl->settings_mutex);
    settings = self->impl->settings;
  }
  if (settings.events.camera.empty()) settings.events.camera = GST_OBJECT_NAME(self);
  settings.mqtt.availability_topic = settings.events.prefix + "/available";
  std::shared_ptr<p::MqttClient> client;
  std::unique_ptr<p::TrackedObjectEvents> events;
  try {
    events = std::make_unique<p::TrackedObjectEvents>(settings.events);  // checks the prefixes
    client = p::shared_mqtt_client(settings.mqtt);
  } catch (const hat::Error& e) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("%s", e.what()), (nullptr));
    return FALSE;
  }
  auto& s = self->impl->state;
  s.events = std::move(events);
  s.clock.reset();
  s.reported.clear();
  s.dropped_reported = client->stats().dropped;
  s.drop_warned = false;
  GST_INFO_OBJECT(self, "camera %s publishing to MQTT broker %s under %s/",
                  settings.events.camera.c_str(), client->broker().c_str(),
                  settings.events.prefix.c_str());
  std::lock_guard<std::mutex> lock(self->impl->state_mutex);
  s.client = std::move(client);
  return TRUE;
}

// Every live track ends; what is queued gets up to `wait` to reach the broker.
static void end_tracks(GstHatPublish* self, std::chrono::milliseconds wait) {
  auto& s = self->impl->state;
  if (!s.client || !s.events) return;
  send(self, s.events->end_all());
  if (wait.count() > 0 && s.client->stats().connected && !s.client->flush(wait))
    GST_WARNING_OBJECT(self, "MQTT messages still queued after %lld ms",
                       static_cast<long long>(wait.count()));
}

static gboolean gst_hat_publish_stop(GstBaseTransform* trans) {
  auto* self = GST_HAT_PUBLISH(trans);
  end_tracks(self, std::chrono::milliseconds(0));
  std::shared_ptr<p::MqttClient> client;
  {
    std::lock_guard<std::mutex> lock(self->impl->state_mutex);
    client = std::move(self->impl->state.client);
  }
  self->impl->state.events.reset();
  return TRUE;  // the last user of the connection says goodbye in its destructor
}

static gboolean gst_hat_publish_sink_event(GstBaseTransform* trans, GstEvent* event) {
  auto* self = GST_HAT_PUBLISH(trans);
  switch (GST_EVENT_TYPE(event)) {
    case GST_EVENT_EOS:
      // A file that ends: its people's "end" events should reach the broker before the
      // application tears the pipeline down.
      end_tracks(self, std::chrono::milliseconds(2000));
      break;
    case GST_EVENT_FLUSH_STOP:
      end_tracks(self, std::chrono::milliseconds(0));  // track ids restart after a flush
      break;
    default:
      break;
  }
  return GST_BASE_TRANSFORM_CLASS(gst_hat_publish_parent_class)->sink_event(trans, event);
}

static GstFlowReturn gst_hat_publish_transform_ip(GstBaseTransform* trans, GstBuffer* buffer) {
  namespace g = hat::gst;
  auto* self = GST_HAT_PUBLISH(trans);
  auto& s = self->impl->state;
  const bool embeddings = s.events->options().include_embeddings;
  std::vector<p::ObjectObservation> objects;
  for (auto* roi : g::rois_of_type(buffer, g::kPersonRoiType)) {
    const auto track = g::roi_track(roi);
    if (!track) continue;
    p::ObjectObservation o;
    o.track = track->id;
    const cv::Rect box = g::roi_box(roi);
    o.x = box.x;
    o.y = box.y;
    o.width = box.width;
    o.height = box.height;
    o.score = g::roi_confidence(roi).value_or(0.0);
    if (auto id = g::roi_identity(roi)) {
      o.global_id = id->global_id;
      o.distance = id->distance;
      o.label = std::move(id->label);
      o.recognition = std::move(id->event);
      for (auto& c : id->candidates) o.candidates.push_back({c.global_id, c.distance, c.label});
    }
    if (embeddings)
      if (auto e = g::roi_embedding(roi); e && e->age == 0) o.embedding = std::move(e->data);
    objects.push_back(std::move(o));
  }
  const int64_t time_us = s.clock.unix_us(trans->segment, buffer);
  send(self, s.events->frame(time_us, objects));
  return GST_FLOW_OK;
}

static void gst_hat_publish_finalize(GObject* object) {
  delete GST_HAT_PUBLISH(object)->impl;
  G_OBJECT_CLASS(gst_hat_publish_parent_class)->finalize(object);
}

static void gst_hat_publish_class_init(GstHatPublishClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  auto* element_class = GST_ELEMENT_CLASS(klass);
  auto* trans_class = GST_BASE_TRANSFORM_CLASS(klass);
  gobject_class->set_property = GST_DEBUG_FUNCPTR(gst_hat_publish_set_property);
  gobject_class->get_property = GST_DEBUG_FUNCPTR(gst_hat_publish_get_property);
  gobject_class->finalize = GST_DEBUG_FUNCPTR(gst_hat_publish_finalize);
  const auto rw = static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
                                           GST_PARAM_MUTABLE_READY);
  const auto wo =
      static_cast<GParamFlags>(G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  const auto ro = static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  const p::MqttOptions m;
  const p::EventOptions e;
  auto string = [&](guint id, const char* name, const char* nick, const char* blurb,
                    const char* fallback, GParamFlags flags) {
    g_object_class_install_property(gobject_class, id,
                                    g_param_spec_string(name, nick, blurb, fallback, flags));
  };
  string(PROP_HOST, "host", "Host", "MQTT broker host name or address", m.host.c_str(), rw);
  g_object_class_install_property(
      gobject_class, PROP_PORT,
      g_param_spec_uint("port", "Port", "MQTT broker port (8883 is usual with TLS)", 1, 65535,
                        static_cast<guint>(m.port), rw));
  string(PROP_CLIENT_ID, "client-id", "Client id",
         "MQTT client id (NULL: hat-<hostname>-<pid>); unique per broker", nullptr, rw);
  string(PROP_USERNAME, "username", "User name", "MQTT user name (NULL: anonymous)", nullptr, rw);
  string(PROP_PASSWORD, "password", "Password",
         "MQTT password (write-only; prefer a broker ACL for this client over a password on the "
         "command line)",
         nullptr, wo);
  string(PROP_CA_FILE, "ca-file", "CA file",
         "PEM file of the CA that signed the broker's certificate: TLS when set (NULL: plain TCP)",
         nullptr, rw);
  string(PROP_CERT_FILE, "cert-file", "Certificate file",
         "PEM client certificate for TLS client authentication (with key-file)", nullptr, rw);
  string(PROP_KEY_FILE, "key-file", "Key file", "PEM private key of cert-file", nullptr, rw);
  g_object_class_install_property(
      gobject_class, PROP_QOS,
      g_param_spec_uint("qos", "QoS",
                        "MQTT quality of service: 0 at most once, 1 at least once (messages "
                        "in flight when the link breaks are sent again), 2 exactly once",
                        0, 2, static_cast<guint>(m.qos), rw));
  g_object_class_install_property(
      gobject_class, PROP_KEEP_ALIVE,
      g_param_spec_uint("keep-alive", "Keep-alive",
                        "Seconds between MQTT pings; the broker publishes the last will after "
                        "1.5 times this without a word",
                        5, 3600, static_cast<guint>(m.keepalive_s), rw));
  g_object_class_install_property(
      gobject_class, PROP_MAX_QUEUE,
      g_param_spec_uint("max-queue", "Maximum queue",
                        "Messages kept while the broker is unreachable; beyond it the oldest are "
                        "dropped and counted",
                        1, 1000000, static_cast<guint>(m.max_queue), rw));
  string(PROP_TOPIC_PREFIX, "topic-prefix", "Topic prefix",
         "First level(s) of every topic: <prefix>/events, <prefix>/tracked_object_update, "
         "<prefix>/identity/<id>/state, <prefix>/available; non-empty levels without '+', '#' "
         "or control characters (an error at start otherwise)",
         e.prefix.c_str(), rw);
  string(PROP_CAMERA_ID, "camera-id", "Camera id",
         "Camera name in the events (NULL: the element's name); use hatmatch's camera-id", nullptr,
         rw);
  g_object_class_install_property(
      gobject_class, PROP_END_TIMEOUT,
      g_param_spec_uint("end-timeout", "End timeout",
                        "Milliseconds a track may be missing before its end event is published", 0,
                        3600000, static_cast<guint>(e.end_timeout_us / 1000), rw));
  g_object_class_install_property(
      gobject_class, PROP_INCLUDE_EMBEDDINGS,
      g_param_spec_boolean("include-embeddings", "Include embeddings",
                           "Add the embedding (float array) to reid updates; they are biometric "
                           "data, so off unless asked for",
                           FALSE, rw));
  g_object_class_install_property(
      gobject_class, PROP_HA_DISCOVERY,
      g_param_spec_boolean("ha-discovery", "Home Assistant discovery",
                           "Announce each enrolled person seen as a Home Assistant 'last seen' "
                           "sensor (MQTT discovery, retained)",
                           FALSE, rw));
  string(PROP_HA_PREFIX, "ha-discovery-prefix", "Home Assistant discovery prefix",
         "Home Assistant's MQTT discovery prefix (the same rules as topic-prefix)",
         e.ha_prefix.c_str(), rw);
  g_object_class_install_property(
      gobject_class, PROP_CONNECTED,
      g_param_spec_boolean("connected", "Connected", "Whether the broker connection is up", FALSE,
                           ro));
  g_object_class_install_property(
      gobject_class, PROP_PUBLISHED,
      g_param_spec_uint64("published", "Published",
                          "Messages delivered to the broker on this element's connection", 0,
                          G_MAXUINT64, 0, ro));
  g_object_class_install_property(
      gobject_class, PROP_QUEUED,
      g_param_spec_uint("queued", "Queued", "Messages waiting for the broker now", 0, G_MAXUINT, 0,
                        ro));
  g_object_class_install_property(
      gobject_class, PROP_DROPPED,
      g_param_spec_uint64("dropped", "Dropped", "Messages dropped because the queue was full", 0,
                          G_MAXUINT64, 0, ro));

  gst_element_class_set_static_metadata(
      element_class, "HAT MQTT publisher", "Sink/Metadata/Network",
      "Publishes tracked people and their global identities to MQTT as Frigate-style events",
      "hat-reid developers");
  hat::gst::add_sink_src_templates(element_class, "ANY");
  trans_class->start = GST_DEBUG_FUNCPTR(gst_hat_publish_start);
  trans_class->stop = GST_DEBUG_FUNCPTR(gst_hat_publish_stop);
  trans_class->sink_event = GST_DEBUG_FUNCPTR(gst_hat_publish_sink_event);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR(gst_hat_publish_transform_ip);
  trans_class->passthrough_on_same_caps = TRUE;
}

static void gst_hat_publish_init(GstHatPublish* self) {
  self->impl = new PublishElement();
  gst_base_transform_set_passthrough(GST_BASE_TRANSFORM(self), TRUE);
}
