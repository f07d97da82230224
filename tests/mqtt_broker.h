// The MQTT tests' real parts: a mosquitto broker (Debian's package, installed by
// scripts/install-deps.sh) on a free loopback port, stopped and started again at will, and a
// subscriber that records every message it receives.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

struct mosquitto;

namespace hat::test {

class MosquittoBroker {
 public:
  MosquittoBroker();  // picks a free port and starts; fails the test when mosquitto is missing
  ~MosquittoBroker();
  int port() const { return port_; }
  void start();  // on the same port; returns once it accepts connections
  void stop();   // SIGTERM and wait

 private:
  int port_ = 0;
  pid_t pid_ = -1;
  std::string config_;
};

struct ReceivedMessage {
  std::string topic, payload;
  bool retained = false;
};

class MqttRecorder {
 public:
  // Subscribes to `topic_filter` (e.g. "hat/#") on 127.0.0.1:port; returns once subscribed.
  // With a `session` name the subscription is persistent: it reconnects by itself after a broker
  // restart and receives what was published meanwhile (QoS 1).
  MqttRecorder(int port, const std::string& topic_filter, const std::string& session = "");
  ~MqttRecorder();
  std::vector<ReceivedMessage> messages() const;
  std::vector<ReceivedMessage> on(const std::string& topic) const;
  // Waits until `done(messages)` holds or `timeout`; whether it held.
  bool wait(const std::function<bool(const std::vector<ReceivedMessage>&)>& done,
            std::chrono::milliseconds timeout) const;

 private:
  mosquitto* mosq_ = nullptr;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
  std::vector<ReceivedMessage> messages_;
  bool subscribed_ = false;
};

}  // namespace hat::test
