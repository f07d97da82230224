#include "gallery/store_benchmark.h"

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <functional>
#include <thread>

#include "base/error.h"
#include "base/unix_time.h"
#include "gallery/gallery_store.h"
#include "gallery/random_embeddings.h"

namespace hat {

namespace {

using Clock = std::chrono::steady_clock;

std::vector<SightingRecord> frame_batch(int64_t identity, uint64_t session, int64_t time_us,
                                        const std::vector<float>& e, int n) {
  std::vector<SightingRecord> batch(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    auto& s = batch[static_cast<size_t>(i)];
    s.identity = identity;
    s.session = session;
    s.camera = "bench";
    s.track = i;
    s.time_us = time_us;
    s.box = {0, 0, 64, 128};
    s.embedding = e;
  }
  return batch;
}

// Runs `body` in a child process that reports three numbers through a pipe (negative: failed);
// a byte on `go` starts it, once every child is ready, so they begin together.
struct Child {
  pid_t pid = -1;
  int result = -1, go = -1;
};

using Report = std::array<double, 3>;

Child spawn(const std::function<Report(int go)>& body) {
  int result[2], go[2];
  if (pipe(result) != 0 || pipe(go) != 0) throw Error("bench-store: pipe failed");
  Child c;
  c.pid = fork();
  if (c.pid < 0) throw Error("bench-store: fork failed");
  if (c.pid == 0) {
    close(result[0]);
    close(go[1]);
    Report value = {-1, -1, -1};
    try {
      value = body(go[0]);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "bench-store: %s\n", e.what());
    }
    (void)!write(result[1], value.data(), sizeof value);
    _exit(value[0] < 0 ? 1 : 0);
  }
  close(result[1]);
  close(go[0]);
  c.result = result[0];
  c.go = go[1];
  return c;
}

Report collect(Child& c) {
  Report value = {-1, -1, -1};
  if (read(c.result, value.data(), sizeof value) != sizeof value) value[0] = -1;
  close(c.result);
  close(c.go);
  int status = 0;
  waitpid(c.pid, &status, 0);
  if (value[0] < 0) throw Error("bench-store: a benchmark process failed (see above)");
  return value;
}

void wait_for_go(int fd) {
  char b = 0;
  if (read(fd, &b, 1) != 1) throw Error("bench-store: no start signal");
}

}  // namespace

nlohmann::json run_store_benchmark(const StoreBenchOptions& o, std::ostream& log) {
  int64_t identity = 0;
  {
    const auto store = open_gallery(o.location);
    store->require_space({"bench", o.dim});
    identity = store->create_identity("", 0);
  }
  nlohmann::json out = {{"gallery", open_gallery(o.location)->location()}, {"dim", o.dim}};
  // One random unit vector serves every sighting: as incompressible as a real embedding, since
  // PostgreSQL compresses each value on its own (an all-zero one took a tenth of the space).
  std::mt19937 rng(1);
  const std::vector<float> e = random_unit_rows(1, o.dim, rng);
  constexpr int kPerCommit = 10;

  nlohmann::json writes = nlohmann::json::array();
  for (const int n : o.writers) {
    std::vector<Child> children;
    for (int w = 0; w < n; ++w) {
      children.push_back(spawn([&, w](int go) {
        const auto store = open_gallery(o.location, {.busy_timeout_ms = 60000});
        wait_for_go(go);
        int64_t written = 0;
        const auto end = Clock::now() + std::chrono::duration<double>(o.seconds);
        while (Clock::now() < end) {
          auto batch = frame_batch(identity, static_cast<uint64_t>(w + 1), written, e, kPerCommit);
          store->add_sightings(batch, 0);
          written += kPerCommit;
        }
        return Report{static_cast<double>(written), 0, 0};
      }));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // connected and ready
    for (auto& c : children) (void)!write(c.go, "g", 1);
    double total = 0;
    for (auto& c : children) total += collect(c)[0];
    const double rate = total / o.seconds;
    writes.push_back({{"writers", n}, {"sightings", total}, {"sightings_per_s", rate}});
    log << n << " writer(s): " << static_cast<int64_t>(rate) << " sightings/s (" << kPerCommit
        << " per commit)\n";
  }
  out["writes"] = writes;

  // Latency: a follower process reads as hatmatch does and notes, in memory shared with this
  // process, when it first read each sample; this process notes when each sample's commit
  // returned. A sample carries its number as its time.
  const auto n = static_cast<size_t>(o.latency_samples);
  void* shared = mmap(nullptr, 2 * n * sizeof(int64_t), PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) throw Error("bench-store: mmap failed");
  auto* read_us = static_cast<int64_t*>(shared);
  int64_t* committed_us = read_us + n;
  for (size_t i = 0; i < 2 * n; ++i) read_us[i] = 0;
  Child follower = spawn([&](int go) {
    const auto store = open_gallery(o.location, {.read_only = true});
    GalleryCursor cursor;
    store->changes_since(cursor, 0);
    while (store->take_change_notice()) {
    }
    wait_for_go(go);
    size_t seen = 0;
    auto last_read = Clock::now();
    const auto give_up =
        Clock::now() + std::chrono::seconds(30) + std::chrono::milliseconds(60 * o.latency_samples);
    while (seen < n && Clock::now() < give_up) {
      if (store->take_change_notice() ||
          Clock::now() - last_read >= std::chrono::milliseconds(o.poll_ms)) {
        last_read = Clock::now();
        for (const auto& s : store->changes_since(cursor, 0).sightings)
          if (s.session == 999 && s.time_us >= 0 && s.time_us < static_cast<int64_t>(n)) {
            read_us[s.time_us] = now_unix_us();
            ++seen;
          }
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return Report{static_cast<double>(seen), 0, 0};
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  (void)!write(follower.go, "g", 1);
  {
    const auto store = open_gallery(o.location);
    for (size_t i = 0; i < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      auto batch = frame_batch(identity, 999, static_cast<int64_t>(i), e, 1);
      store->add_sightings(batch, 0);
      committed_us[i] = now_unix_us();
    }
  }
  const double seen = collect(follower)[0];
  std::vector<double> ms;
  for (size_t i = 0; i < n; ++i)
    if (read_us[i] > 0)  // a notice may beat the writer's own return from COMMIT: 0
      ms.push_back(std::max<int64_t>(0, read_us[i] - committed_us[i]) / 1e3);
  munmap(shared, 2 * n * sizeof(int64_t));
  if (ms.empty() || seen < static_cast<double>(n))
    throw Error("bench-store: the follower read " + std::to_string(static_cast<int>(seen)) +
                " of " + std::to_string(n) + " samples");
  std::sort(ms.begin(), ms.end());
  const Report latency = {ms[ms.size() / 2], ms[ms.size() * 95 / 100], ms.back()};
  out["latency"] = {{"samples", o.latency_samples},
                    {"poll_ms", o.poll_ms},
                    {"median_ms", latency[0]},
                    {"p95_ms", latency[1]},
                    {"max_ms", latency[2]}};
  log << "commit (returned) to another process's read: median " << latency[0] << " ms, p95 "
      << latency[1] << " ms, max " << latency[2] << " ms (the follower polls every " << o.poll_ms
      << " ms and reads at once when notified)\n";
  return out;
}

}  // namespace hat
