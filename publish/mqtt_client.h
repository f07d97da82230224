// An MQTT connection (libmosquitto) that never blocks the thread that publishes: a pipeline's
// streaming thread hands messages over and goes on with its frames, whatever the broker does.
//
// One thread of its own connects, reconnects with exponential back-off (reconnect_min_ms, doubling
// up to reconnect_max_ms) and sends. While the broker is away, messages wait in a bounded queue;
// beyond max_queue the oldest is dropped and counted. On every (re)connection `online_payload`
// is published retained on `availability_topic` and the queue is sent in order; the broker
// publishes `offline_payload` there (the last will) when the connection is lost without a goodbye,
// and the destructor publishes it itself before disconnecting.
//
// Messages handed to libmosquitto while the connection breaks are lost at QoS 0; at QoS 1 and 2
// libmosquitto sends them again on the next connection.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

struct mosquitto;

namespace hat::publish {

struct MqttOptions {
  std::string host = "localhost";
  int port = 1883;
  std::string client_id;  // "" : hat-<hostname>-<pid>
  std::string username, password;
  std::string ca_file, cert_file, key_file;  // TLS when ca_file is set (cert/key: client auth)
  int qos = 1;
  int keepalive_s = 30;
  std::string availability_topic;  // "" : no availability messages and no last will
  std::string online_payload = "online", offline_payload = "offline";
  size_t max_queue = 1000;
  int reconnect_min_ms = 500, reconnect_max_ms = 30000;
};

struct MqttMessage {
  std::string topic;
  std::string payload;
  bool retain = false;
};

struct MqttStats {
  bool connected = false;
  uint64_t published = 0;  // handed to the connection (QoS 0: written; QoS 1/2: acknowledged)
  uint64_t queued = 0;     // waiting for a connection now
  uint64_t dropped = 0;    // dropped from a full queue
  uint64_t connections = 0;
  std::string last_error;  // one line: why the last attempt failed or the connection broke
};

class MqttClient {
 public:
  // hat::Error for options libmosquitto refuses (a port out of range, unreadable TLS files, a
  // QoS other than 0-2); an unreachable broker is not an error: it is retried.
  explicit MqttClient(const MqttOptions& options);
  // Publishes offline_payload, waits up to a second for the queue to go out, disconnects.
  ~MqttClient();
  MqttClient(const MqttClient&) = delete;
  MqttClient& operator=(const MqttClient&) = delete;

  const MqttOptions& options() const { return options_; }

  // Queues the message for sending; returns at once.
  void publish(MqttMessage message);
  // Waits until every queued message has been published, or `timeout`; whether it was.
  bool flush(std::chrono::milliseconds timeout);
  MqttStats stats() const;

  // "host:port" as messages name the broker.
  std::string broker() const;

 private:
  void run();
  void send_queued();
  void on_connect(int rc);
  void on_disconnect(int rc);
  void on_publish();

  MqttOptions options_;
  mosquitto* mosq_ = nullptr;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<MqttMessage> queue_;
  MqttStats stats_;
  uint64_t in_flight_ = 0;  // handed to libmosquitto, not yet confirmed by on_publish
  bool stopping_ = false;
  bool session_up_ = false;  // CONNACK received, socket not lost
  std::thread thread_;
};

// The live client with exactly these options if one exists in this process, else a new one:
// several elements publishing to one broker share one connection, one client id and one last
// will (two connections with one client id would throw each other off the broker).
std::shared_ptr<MqttClient> shared_mqtt_client(const MqttOptions& options);

}  // namespace hat::publish
