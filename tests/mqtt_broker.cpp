#include "tests/mqtt_broker.h"

#include <mosquitto.h>
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <thread>

#include "tests/loopback_port.h"
#include "tests/test_env.h"

namespace hat::test {
namespace {

std::string mosquitto_binary() {
  for (const char* p : {"/usr/sbin/mosquitto", "/usr/bin/mosquitto"})
    if (access(p, X_OK) == 0) return p;
  throw std::runtime_error(
      "mosquitto is not installed: scripts/install-deps.sh installs Debian's mosquitto package");
}

}  // namespace

MosquittoBroker::MosquittoBroker() : port_(free_port()) {
  config_ = scratch_dir() + "/mosquitto-" + std::to_string(port_) + ".conf";
  // Persistence lets a subscriber's session (and what was queued for it) outlive a restart.
  // `user`: mosquitto started as root would otherwise drop to its own user, who cannot write
  // the persistence file into our scratch folder.
  const passwd* me = getpwuid(geteuid());
  std::ofstream(config_) << "listener " << port_ << " 127.0.0.1\nallow_anonymous true\n"
                         << "user " << (me ? me->pw_name : "root") << "\n"
                         << "persistence true\npersistence_location " << scratch_dir() << "/\n"
                         << "persistence_file mosquitto-" << port_ << ".db\n";
  start();
}

MosquittoBroker::~MosquittoBroker() { stop(); }

void MosquittoBroker::start() {
  const std::string binary = mosquitto_binary();
  pid_ = fork();
  if (pid_ == 0) {
    const std::string log = config_ + ".log";
    if (!freopen(log.c_str(), "a", stdout) || !freopen(log.c_str(), "a", stderr)) _exit(126);
    execl(binary.c_str(), binary.c_str(), "-c", config_.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 200; ++i) {
    if (accepts(port_)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  throw std::runtime_error("mosquitto did not start on port " + std::to_string(port_));
}

void MosquittoBroker::stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

MqttRecorder::MqttRecorder(int port, const std::string& topic_filter, const std::string& session) {
  mosquitto_lib_init();
  mosq_ = session.empty() ? mosquitto_new(nullptr, true, this)
                          : mosquitto_new(session.c_str(), false, this);
  mosquitto_message_callback_set(mosq_, [](mosquitto*, void* self, const mosquitto_message* m) {
    auto* r = static_cast<MqttRecorder*>(self);
    {
      std::lock_guard<std::mutex> lock(r->mutex_);
      r->messages_.push_back(
          {m->topic, std::string(static_cast<const char*>(m->payload), m->payloadlen), m->retain});
    }
    r->changed_.notify_all();
  });
  mosquitto_subscribe_callback_set(mosq_, [](mosquitto*, void* self, int, int, const int*) {
    auto* r = static_cast<MqttRecorder*>(self);
    {
      std::lock_guard<std::mutex> lock(r->mutex_);
      r->subscribed_ = true;
    }
    r->changed_.notify_all();
  });
  if (mosquitto_connect(mosq_, "127.0.0.1", port, 30) != MOSQ_ERR_SUCCESS)
    throw std::runtime_error("subscriber: cannot connect to port " + std::to_string(port));
  mosquitto_subscribe(mosq_, nullptr, topic_filter.c_str(), 1);
  mosquitto_loop_start(mosq_);
  std::unique_lock<std::mutex> lock(mutex_);
  if (!changed_.wait_for(lock, std::chrono::seconds(5), [this] { return subscribed_; }))
    throw std::runtime_error("subscriber: no SUBACK");
}

MqttRecorder::~MqttRecorder() {
  mosquitto_disconnect(mosq_);
  mosquitto_loop_stop(mosq_, true);
  mosquitto_destroy(mosq_);
}

std::vector<ReceivedMessage> MqttRecorder::messages() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return messages_;
}

std::vector<ReceivedMessage> MqttRecorder::on(const std::string& topic) const {
  std::vector<ReceivedMessage> out;
  for (auto& m : messages())
    if (m.topic == topic) out.push_back(m);
  return out;
}

bool MqttRecorder::wait(const std::function<bool(const std::vector<ReceivedMessage>&)>& done,
                        std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return done(messages_); });
}

}  // namespace hat::test
