#include "publish/mqtt_client.h"

#include <mosquitto.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>

#include <nlohmann/json.hpp>

#include "base/error.h"

namespace hat::publish {
namespace {

std::string describe(int rc) {
  if (rc == MOSQ_ERR_ERRNO) return std::strerror(errno);
  return mosquitto_strerror(rc);
}

std::string default_client_id() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) std::strcpy(host, "host");
  return "hat-" + std::string(host) + "-" + std::to_string(getpid());
}

void require_readable(const std::string& path, const char* what) {
  if (path.empty()) return;
  std::ifstream f(path);
  if (!f) throw Error(std::string("MQTT ") + what + " " + path + ": cannot be read");
}

}  // namespace

MqttClient::MqttClient(const MqttOptions& options) : options_(options) {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
  if (options_.port < 1 || options_.port > 65535)
    throw Error("MQTT port " + std::to_string(options_.port) + ": must be 1-65535");
  if (options_.qos < 0 || options_.qos > 2)
    throw Error("MQTT QoS " + std::to_string(options_.qos) + ": must be 0, 1 or 2");
  if (options_.host.empty()) throw Error("MQTT host: empty");
  if (options_.max_queue == 0) options_.max_queue = 1;
  if (options_.client_id.empty()) options_.client_id = default_client_id();
  if ((options_.cert_file.empty()) != (options_.key_file.empty()))
    throw Error("MQTT TLS: a client certificate needs both cert-file and key-file");
  require_readable(options_.ca_file, "CA file");
  require_readable(options_.cert_file, "certificate file");
  require_readable(options_.key_file, "key file");

  mosq_ = mosquitto_new(options_.client_id.c_str(), true, this);
  if (mosq_ == nullptr)
    throw Error("MQTT client " + options_.client_id + ": " + describe(MOSQ_ERR_ERRNO));
  mosquitto_threaded_set(mosq_, true);
  auto fail = [&](int rc, const std::string& what) {
    mosquitto_destroy(mosq_);
    mosq_ = nullptr;
    throw Error("MQTT " + what + ": " + describe(rc));
  };
  int rc = MOSQ_ERR_SUCCESS;
  if (!options_.username.empty() &&
      (rc = mosquitto_username_pw_set(
           mosq_, options_.username.c_str(),
           options_.password.empty() ? nullptr : options_.password.c_str())))
    fail(rc, "user name");
  if (!options_.ca_file.empty() &&
      (rc = mosquitto_tls_set(mosq_, options_.ca_file.c_str(), nullptr,
                              options_.cert_file.empty() ? nullptr : options_.cert_file.c_str(),
                              options_.key_file.empty() ? nullptr : options_.key_file.c_str(),
                              nullptr)))
    fail(rc, "TLS files " + options_.ca_file);
  if (!options_.availability_topic.empty() &&
      (rc = mosquitto_will_set(mosq_, options_.availability_topic.c_str(),
                               static_cast<int>(options_.offline_payload.size()),
                               options_.offline_payload.data(), options_.qos, true)))
    fail(rc, "last will on " + options_.availability_topic);
  mosquitto_connect_callback_set(mosq_, [](mosquitto*, void* self, int rc) {
    static_cast<MqttClient*>(self)->on_connect(rc);
  });
  mosquitto_disconnect_callback_set(mosq_, [](mosquitto*, void* self, int rc) {
    static_cast<MqttClient*>(self)->on_disconnect(rc);
  });
  mosquitto_publish_callback_set(
      mosq_, [](mosquitto*, void* self, int) { static_cast<MqttClient*>(self)->on_publish(); });
  thread_ = std::thread([this] { run(); });
}

MqttClient::~MqttClient() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (mosq_ != nullptr) mosquitto_destroy(mosq_);
}

std::string MqttClient::broker() const {
  return options_.host + ":" + std::to_string(options_.port);
}

void MqttClient::publish(MqttMessage message) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (session_up_ && queue_.empty()) {
    ++in_flight_;
    lock.unlock();
    const int rc = mosquitto_publish(mosq_, nullptr, message.topic.c_str(),
                                     static_cast<int>(message.payload.size()),
                                     message.payload.data(), options_.qos, message.retain);
    // At QoS 1/2 libmosquitto keeps a message it could not write and sends it on reconnection.
    if (rc == MOSQ_ERR_SUCCESS || (rc == MOSQ_ERR_NO_CONN && options_.qos > 0)) return;
    lock.lock();
    --in_flight_;
    if (rc != MOSQ_ERR_NO_CONN) {
      stats_.last_error = "MQTT publish to " + message.topic + ": " + describe(rc);
      ++stats_.dropped;
      return;
    }
  }
  queue_.push_back(std::move(message));
  while (queue_.size() > options_.max_queue) {
    queue_.pop_front();
    ++stats_.dropped;
  }
}

void MqttClient::send_queued() {
  for (;;) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!session_up_ || queue_.empty()) return;
    MqttMessage m = std::move(queue_.front());
    queue_.pop_front();
    ++in_flight_;
    lock.unlock();
    const int rc =
        mosquitto_publish(mosq_, nullptr, m.topic.c_str(), static_cast<int>(m.payload.size()),
                          m.payload.data(), options_.qos, m.retain);
    if (rc == MOSQ_ERR_SUCCESS || (rc == MOSQ_ERR_NO_CONN && options_.qos > 0)) continue;
    lock.lock();
    --in_flight_;
    if (rc == MOSQ_ERR_NO_CONN) {
      queue_.push_front(std::move(m));
      return;
    }
    stats_.last_error = "MQTT publish to " + m.topic + ": " + describe(rc);
    ++stats_.dropped;
  }
}

void MqttClient::on_connect(int rc) {
  if (rc != 0) {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.last_error =
        "MQTT broker " + broker() + " refused the connection: " + mosquitto_connack_string(rc);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    session_up_ = true;
    stats_.connected = true;
    ++stats_.connections;
    stats_.last_error.clear();
    if (!options_.availability_topic.empty()) ++in_flight_;
  }
  if (!options_.availability_topic.empty())
    mosquitto_publish(mosq_, nullptr, options_.availability_topic.c_str(),
                      static_cast<int>(options_.online_payload.size()),
                      options_.online_payload.data(), options_.qos, true);
}

void MqttClient::on_disconnect(int rc) {
  std::lock_guard<std::mutex> lock(mutex_);
  session_up_ = false;
  stats_.connected = false;
  if (rc != 0) stats_.last_error = "MQTT broker " + broker() + ": connection lost";
}

void MqttClient::on_publish() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (in_flight_ > 0) --in_flight_;
    ++stats_.published;
  }
  changed_.notify_all();
}

bool MqttClient::flush(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, timeout, [this] { return queue_.empty() && in_flight_ == 0; });
}

MqttStats MqttClient::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  MqttStats s = stats_;
  s.queued = queue_.size();
  return s;
}

void MqttClient::run() {
  int delay_ms = options_.reconnect_min_ms;
  bool socket = false, ever = false;
  auto stopping = [this] {
    std::lock_guard<std::mutex> lock(mutex_);
    return stopping_;
  };
  // Waits out the back-off, or less when the client is being destroyed.
  auto back_off = [&] {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, std::chrono::milliseconds(delay_ms), [this] { return stopping_; });
    delay_ms = std::min(delay_ms * 2, options_.reconnect_max_ms);
  };
  while (!stopping()) {
    if (!socket) {
      const int rc = ever ? mosquitto_reconnect(mosq_)
                          : mosquitto_connect(mosq_, options_.host.c_str(), options_.port,
                                              options_.keepalive_s);
      if (rc != MOSQ_ERR_SUCCESS) {
        {
          std::lock_guard<std::mutex> lock(mutex_);
          stats_.last_error = "MQTT broker " + broker() + ": " + describe(rc);
        }
        // mosquitto_connect() fails before it stores the address when the name does not
        // resolve; it is tried again from scratch.
        if (rc != MOSQ_ERR_EAI) ever = true;
        back_off();
        continue;
      }
      ever = socket = true;
    }
    const int rc = mosquitto_loop(mosq_, 100, 1);
    if (rc != MOSQ_ERR_SUCCESS) {
      socket = false;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        session_up_ = false;
        stats_.connected = false;
        if (stats_.last_error.empty())
          stats_.last_error = "MQTT broker " + broker() + ": " + describe(rc);
      }
      back_off();
      continue;
    }
    bool up = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      up = session_up_;
    }
    if (up) {
      delay_ms = options_.reconnect_min_ms;
      send_queued();
    }
  }
  // A goodbye: what is queued, then "offline" (the broker sends the will only on a lost link).
  bool up = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    up = session_up_ && socket;
  }
  if (!up) return;
  send_queued();
  if (!options_.availability_topic.empty()) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++in_flight_;
    }
    mosquitto_publish(mosq_, nullptr, options_.availability_topic.c_str(),
                      static_cast<int>(options_.offline_payload.size()),
                      options_.offline_payload.data(), options_.qos, true);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (in_flight_ == 0 || !session_up_) break;
    }
    if (mosquitto_loop(mosq_, 50, 1) != MOSQ_ERR_SUCCESS) break;
  }
  mosquitto_disconnect(mosq_);
  mosquitto_loop(mosq_, 50, 1);
}

std::shared_ptr<MqttClient> shared_mqtt_client(const MqttOptions& o) {
  static std::mutex mutex;
  static std::map<std::string, std::weak_ptr<MqttClient>> clients;
  const std::string key =
      nlohmann::json({o.host, o.port, o.client_id, o.username, o.password, o.ca_file, o.cert_file,
                      o.key_file, o.qos, o.keepalive_s, o.availability_topic, o.online_payload,
                      o.offline_payload, o.max_queue, o.reconnect_min_ms, o.reconnect_max_ms})
          .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::lock_guard<std::mutex> lock(mutex);
  if (auto live = clients[key].lock()) return live;
  auto client = std::make_shared<MqttClient>(o);
  clients[key] = client;
  return client;
}

}  // namespace hat::publish
