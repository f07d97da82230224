// The gallery: fp16 storage, the SQLite store (permissions, WAL, changes between processes,
// merges, retention), its failure modes (corrupt, foreign, locked, read-only, killed writer,
// concurrent writers), the in-memory index and the identity matcher's policies.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "gallery/gallery_store.h"
#include "gallery/half_float.h"
#include "gallery/identity_matcher.h"
#include "gallery/sighting_index.h"
#include "model/error.h"
#include "model/file_io.h"
#include "tests/gst_test_support.h"
#include "tests/test_env.h"
#include "train/synthetic_people.h"

namespace hat {
namespace {

constexpr int kDim = 16;

std::vector<float> unit(uint64_t seed, int dim = kDim) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> n;
  std::vector<float> v(static_cast<size_t>(dim));
  double norm = 0;
  for (float& x : v) {
    x = n(rng);
    norm += x * x;
  }
  for (float& x : v) x = static_cast<float>(x / std::sqrt(norm));
  return v;
}

// `base` moved by `noise` in a random direction (then renormalised).
std::vector<float> near(const std::vector<float>& base, double noise, uint64_t seed) {
  auto v = unit(seed, static_cast<int>(base.size()));
  std::vector<float> out(base.size());
  double norm = 0;
  for (size_t i = 0; i < base.size(); ++i) {
    out[i] = static_cast<float>(base[i] + noise * v[i]);
    norm += out[i] * out[i];
  }
  for (float& x : out) x = static_cast<float>(x / std::sqrt(norm));
  return out;
}

SightingRecord sighting(int64_t identity, uint64_t session, int64_t time_us,
                        const std::vector<float>& e, bool enrolled = false) {
  SightingRecord s;
  s.identity = identity;
  s.session = session;
  s.camera = "cam";
  s.track = 1;
  s.time_us = time_us;
  s.box = {1, 2, 30, 60};
  s.enrolled = enrolled;
  s.embedding = e;
  return s;
}

std::string gallery_path() { return test::scratch_dir() + "/gallery.db"; }

TEST(HalfFloat, EveryHalfRoundTripsAndFloatsRoundToNearest) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const float f = half_to_float(static_cast<uint16_t>(h));
    if (std::isnan(f)) continue;
    ASSERT_EQ(float_to_half(f), h) << h;
  }
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-70000.f, 70000.f);
  for (int i = 0; i < 100000; ++i) {
    const float f = i % 2 ? u(rng) : u(rng) * 1e-6f;
    const float back = half_to_float(float_to_half(f));
    if (std::fabs(f) >= 65520.f) {  // past the largest half by half an ulp
      EXPECT_TRUE(std::isinf(back));
      continue;
    }
    // Half a unit in the last place: 2^-11 relative for normals, 2^-25 absolute below.
    EXPECT_LE(std::fabs(back - f),
              std::max(std::fabs(f) * std::ldexp(1.0f, -11), std::ldexp(1.0f, -25)))
        << f;
  }
  const auto e = unit(3, 1024);
  const auto d = decode_half(encode_half(e.data(), e.size()).data(), e.size());
  double dot = 0;
  for (size_t i = 0; i < e.size(); ++i) dot += e[i] * d[i];
  EXPECT_GT(dot, 1 - 1e-6);
}

TEST(GalleryStore, CreatesAnOwnerOnlyWalFileAndKeepsWhatIsWritten) {
  const auto path = gallery_path();
  const mode_t old_umask = umask(0);  // a permissive umask must not widen the file
  {
    GalleryStore store(path);
    store.require_space({"tiny", kDim});
    const int64_t a = store.create_identity("", 100);
    const int64_t b = store.create_identity("alice", 100);
    EXPECT_GT(b, a);
    std::vector<SightingRecord> s = {sighting(a, 7, 1000, unit(1)),
                                     sighting(b, 0, 2000, unit(2), true)};
    store.add_sightings(s);
    EXPECT_GT(s[0].id, 0);
    EXPECT_GT(s[1].id, s[0].id);
    EXPECT_EQ(store.identity_by_label("alice"), b);
    EXPECT_FALSE(store.identity_by_label("bob"));
  }
  umask(old_umask);
  for (const std::string suffix : {"", "-wal", "-shm"}) {
    struct stat st {};
    if (stat((path + suffix).c_str(), &st) != 0) continue;  // -wal/-shm go at a clean close
    EXPECT_EQ(st.st_mode & 0777, 0600u) << suffix;
  }
  GalleryStore store(path, {.read_only = true});
  EXPECT_EQ(store.space()->model, "tiny");
  EXPECT_EQ(store.space()->dim, kDim);
  EXPECT_EQ(store.sighting_count(), 2);
  const auto ids = store.identities();
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[1].identity.label, "alice");
  EXPECT_EQ(ids[0].cameras, std::vector<std::string>{"cam"});
  std::vector<SightingRecord> read;
  store.for_each_sighting([&](const SightingRecord& s) { read.push_back(s); }, true);
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0].box.height, 60);
  EXPECT_TRUE(read[1].enrolled);
  for (int d = 0; d < kDim; ++d) EXPECT_NEAR(read[0].embedding[d], unit(1)[d], 1e-3);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, nullptr);
  ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(q, 0)), "wal");
  sqlite3_finalize(q);
  sqlite3_close(db);
}

TEST(GalleryStore, RefusesAnotherModelsEmbeddings) {
  GalleryStore store(gallery_path());
  store.require_space({"hat-r18", 1024});
  store.require_space({"hat-r18", 1024});
  try {
    store.require_space({"hat-r50", 4096});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("holds 1024-d embeddings of hat-r18, not 4096-d"),
              std::string::npos)
        << e.what();
  }
}

TEST(GalleryStore, AnotherConnectionSeesNewIdentitiesSightingsAndMerges) {
  const auto path = gallery_path();
  GalleryStore writer(path), reader(path);
  writer.require_space({"tiny", kDim});
  GalleryCursor cursor;
  EXPECT_TRUE(reader.changes_since(cursor, 5).sightings.empty());
  const int64_t a = writer.create_identity("", 1), b = writer.create_identity("bob", 1);
  std::vector<SightingRecord> s = {sighting(a, 9, 10, unit(1)), sighting(a, 5, 11, unit(2)),
                                   sighting(b, 9, 12, unit(3))};
  writer.add_sightings(s);
  auto changes = reader.changes_since(cursor, 5);  // session 5's own sighting is left out
  EXPECT_EQ(changes.identities.size(), 2u);
  EXPECT_EQ(changes.identities[1].label, "bob");
  ASSERT_EQ(changes.sightings.size(), 2u);
  EXPECT_EQ(changes.sightings[1].identity, b);
  writer.merge_identity(a, b, 20);
  changes = reader.changes_since(cursor, 5);
  EXPECT_TRUE(changes.sightings.empty());
  ASSERT_EQ(changes.merges.size(), 1u);
  EXPECT_EQ(changes.merges[0], std::make_pair(a, b));
  const auto ids = reader.identities();
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(ids[0].sightings, 3);
}

TEST(GalleryStore, PurgeKeepsEnrolledImagesAndRecentSightings) {
  GalleryStore store(gallery_path());
  store.require_space({"tiny", kDim});
  const int64_t old_one = store.create_identity("", 1), watched = store.create_identity("eve", 1),
                recent = store.create_identity("", 1);
  std::vector<SightingRecord> s = {
      sighting(old_one, 1, 100, unit(1)), sighting(watched, 0, 100, unit(2), true),
      sighting(watched, 1, 100, unit(3)), sighting(recent, 1, 100, unit(4)),
      sighting(recent, 1, 5000, unit(5))};
  store.add_sightings(s);
  const auto purged = store.purge_before(1000);
  EXPECT_EQ(purged.sightings, 3);
  EXPECT_EQ(purged.identities, 1);  // old_one; eve is labelled, recent has a sighting left
  const auto ids = store.identities();
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0].identity.label, "eve");
  EXPECT_EQ(ids[0].sightings, 1);
  EXPECT_EQ(ids[1].sightings, 1);
}

void expect_error(const std::function<void()>& body, const std::string& expected) {
  try {
    body();
    ADD_FAILURE() << "no error; expected one with: " << expected;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "one line";
  }
}

TEST(GalleryStore, CorruptOrForeignFilesAreClearErrorsAndLeftUntouched) {
  const auto dir = test::scratch_dir();
  const std::string corrupt = dir + "/corrupt.db";
  std::string junk(8192, '\0');
  for (size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<char>(i * 7 + 3);
  write_file_atomically(corrupt, junk.data(), junk.size());
  expect_error([&] { GalleryStore s(corrupt); },
               "gallery " + corrupt + " is corrupt or not a gallery");
  EXPECT_EQ(read_file(corrupt), junk);

  const std::string foreign = dir + "/foreign.db";
  sqlite3* db = nullptr;
  sqlite3_open(foreign.c_str(), &db);
  sqlite3_exec(db, "CREATE TABLE accounts(id INTEGER); INSERT INTO accounts VALUES (42)", nullptr,
               nullptr, nullptr);
  sqlite3_close(db);
  const std::string before = read_file(foreign);
  expect_error([&] { GalleryStore s(foreign); }, "is an SQLite database but not a hat gallery");
  EXPECT_EQ(read_file(foreign), before);

  expect_error([&] { GalleryStore s(dir); }, "is a directory");
  expect_error([&] { GalleryStore s(dir + "/none.db", {.read_only = true}); }, "no such file");
  expect_error([&] { GalleryStore s(dir + "/missing/dir/g.db"); }, "cannot create");
}

TEST(GalleryStore, ALockedGalleryIsAClearErrorAndTheWriteSucceedsOnceFree) {
  const auto path = gallery_path();
  GalleryStore store(path, {.busy_timeout_ms = 200});
  store.require_space({"tiny", kDim});
  const int64_t id = store.create_identity("", 1);
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  std::vector<SightingRecord> s = {sighting(id, 1, 10, unit(1)), sighting(id, 1, 11, unit(2))};
  expect_error([&] { store.add_sightings(s); },
               "gallery " + path + " is locked by another process (waited 200 ms)");
  EXPECT_EQ(s[0].id, 0);  // not written, ready for a retry
  sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  store.add_sightings(s);
  EXPECT_EQ(store.sighting_count(), 2);
}

// Runs `body` in a child process; returns what it wrote to the pipe.
std::string in_child(const std::function<std::string()>& body) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    std::string out;
    try {
      out = body();
    } catch (const std::exception& e) {
      out = std::string("exception: ") + e.what();
    }
    (void)!write(fds[1], out.data(), out.size());
    _exit(0);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return out;
}

TEST(GalleryStore, AReadOnlyGalleryIsAClearErrorAndLeftUntouched) {
  const auto dir = test::scratch_dir();
  const std::string path = dir + "/gallery.db";
  {
    GalleryStore store(path);
    store.require_space({"tiny", kDim});
    std::vector<SightingRecord> s = {sighting(store.create_identity("", 1), 1, 1, unit(1))};
    store.add_sightings(s);
  }
  const std::string before = read_file(path);
  ASSERT_EQ(chmod(path.c_str(), 0444), 0);
  // Root writes through permissions: the check runs as an unprivileged user then.
  const bool root = geteuid() == 0;
  if (root) {
    for (auto p = std::filesystem::path(dir); p != p.root_path(); p = p.parent_path())
      chmod(p.c_str(), 0755);
  }
  const std::string message = in_child([&] {
    if (root && (setgid(65534) != 0 || setuid(65534) != 0)) return std::string("setuid failed");
    try {
      GalleryStore store(path);
      return std::string("opened");
    } catch (const Error& e) {
      return std::string(e.what());
    }
  });
  EXPECT_NE(message.find("gallery " + path + " is read-only"), std::string::npos) << message;
  EXPECT_EQ(read_file(path), before);
  // Read-only use (list, search, export) still works.
  GalleryStore reader(path, {.read_only = true});
  EXPECT_EQ(reader.sighting_count(), 1);
}

TEST(GalleryStore, ConcurrentWritersLoseNothing) {
  const auto path = gallery_path();
  {
    GalleryStore store(path);
    store.require_space({"tiny", kDim});
  }
  constexpr int kWriters = 4, kBatches = 50, kPerBatch = 5;
  std::vector<pid_t> children;
  for (int w = 0; w < kWriters; ++w) {
    const pid_t pid = fork();
    if (pid == 0) {
      int code = 0;
      try {
        GalleryStore store(path, {.busy_timeout_ms = 20000});
        for (int b = 0; b < kBatches; ++b) {
          const int64_t id = store.create_identity("", b);
          std::vector<SightingRecord> s;
          for (int i = 0; i < kPerBatch; ++i)
            s.push_back(sighting(id, static_cast<uint64_t>(w + 1), b, unit(w * 1000 + b * 10 + i)));
          store.add_sightings(s);
        }
      } catch (const std::exception& e) {
        std::fprintf(stderr, "writer %d: %s\n", w, e.what());
        code = 1;
      }
      _exit(code);
    }
    children.push_back(pid);
  }
  for (const pid_t pid : children) {
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  GalleryStore store(path);
  EXPECT_EQ(store.integrity_check(), "ok");
  EXPECT_EQ(store.sighting_count(), kWriters * kBatches * kPerBatch);
  const auto ids = store.identities();
  EXPECT_EQ(ids.size(), static_cast<size_t>(kWriters * kBatches));  // ids never collide
  for (const auto& i : ids) EXPECT_EQ(i.sightings, kPerBatch);
}

TEST(GalleryStore, ProcessesCreatingOneNewGalleryAtOnceAllSucceed) {
  for (int round = 0; round < 20; ++round) {
    const auto path = gallery_path();  // does not exist yet
    std::vector<pid_t> children;
    for (int w = 0; w < 8; ++w) {
      const pid_t pid = fork();
      if (pid == 0) {
        try {
          GalleryStore store(path);
          store.require_space({"tiny", kDim});
          std::vector<SightingRecord> s = {sighting(store.create_identity("", 1), 1, 1, unit(w))};
          store.add_sightings(s);
        } catch (const std::exception& e) {
          std::fprintf(stderr, "process %d: %s\n", w, e.what());
          _exit(1);
        }
        _exit(0);
      }
      children.push_back(pid);
    }
    for (const pid_t pid : children) {
      int status = 0;
      waitpid(pid, &status, 0);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    GalleryStore store(path);
    EXPECT_EQ(store.sighting_count(), 8);
  }
}

TEST(GalleryStore, AKilledWriterLeavesEveryCommittedSighting) {
  const auto path = gallery_path();
  {
    GalleryStore store(path);
    store.require_space({"tiny", kDim});
  }
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    GalleryStore store(path);
    const int64_t id = store.create_identity("", 0);
    for (int64_t committed = 0;;) {
      std::vector<SightingRecord> s;
      for (int i = 0; i < 10; ++i) s.push_back(sighting(id, 1, committed + i, unit(committed + i)));
      store.add_sightings(s);
      committed += 10;
      (void)!write(fds[1], &committed, sizeof committed);
    }
  }
  close(fds[1]);
  int64_t committed = 0;
  while (committed < 2000 && read(fds[0], &committed, sizeof committed) == sizeof committed) {
  }
  kill(pid, SIGKILL);  // in the middle of a later write
  int status = 0;
  waitpid(pid, &status, 0);
  for (int64_t c; read(fds[0], &c, sizeof c) == sizeof c;) committed = c;
  close(fds[0]);
  EXPECT_TRUE(WIFSIGNALED(status));
  GalleryStore store(path);
  EXPECT_EQ(store.integrity_check(), "ok");
  EXPECT_GE(store.sighting_count(), committed);
  EXPECT_LE(store.sighting_count(), committed + 10);
  std::printf("killed after %lld committed sightings; the gallery holds %lld\n",
              static_cast<long long>(committed), static_cast<long long>(store.sighting_count()));
}

TEST(SightingIndex, NearestIdentitiesMatchABruteForceAndHonourOwnersAndTime) {
  SightingIndex index(kDim);
  std::vector<std::pair<std::vector<float>, IndexedSighting>> all;
  for (int i = 0; i < 300; ++i) {
    IndexedSighting s{i % 40 + 1, static_cast<uint64_t>(i % 7 + 1), i, false};
    all.emplace_back(unit(100 + i), s);
    index.add(all.back().first.data(), s);
  }
  const auto q = unit(5);
  const auto found = index.nearest_identities(q.data(), 1, {3}, 100, 5)[0];
  std::map<int64_t, double> best;
  for (const auto& [e, s] : all) {
    if (s.owner == 3 || s.time_us < 100) continue;
    double dot = 0;
    for (int d = 0; d < kDim; ++d) dot += q[d] * e[d];
    auto [it, added] = best.emplace(s.identity, 1 - dot);
    if (!added) it->second = std::min(it->second, 1 - dot);
  }
  std::vector<std::pair<double, int64_t>> expected;
  for (const auto& [id, d] : best) expected.emplace_back(d, id);
  std::sort(expected.begin(), expected.end());
  ASSERT_EQ(found.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(found[i].identity, expected[i].second);
    EXPECT_NEAR(found[i].distance, expected[i].first, 2e-3);  // fp16 storage
  }
}

TEST(SightingIndex, EvictsOldestAndExpiredButNeverEnrolledAndRelabels) {
  SightingIndex index(kDim);
  const auto e = unit(1);
  index.add(e.data(), {99, 0, 0, true});  // enrolled, time 0
  for (int i = 0; i < 10; ++i) index.add(e.data(), {i + 1, 5, 100 + i, false});
  EXPECT_EQ(index.size(), 11u);
  index.evict(6, 0);  // the 5 oldest observed ones go
  EXPECT_EQ(index.size(), 6u);
  index.evict(100, 108);  // expired
  EXPECT_EQ(index.size(), 3u);
  auto ids = index.nearest_identities(e.data(), 1, {0}, 0, 10)[0];
  std::set<int64_t> left;
  for (const auto& c : ids) left.insert(c.identity);
  EXPECT_EQ(left, (std::set<int64_t>{9, 10, 99}));
  index.relabel(9, 10);
  ids = index.nearest_identities(e.data(), 1, {0}, 0, 10)[0];
  EXPECT_EQ(ids.size(), 2u);
  EXPECT_TRUE(index.seen_by_others(10, 7));
  EXPECT_FALSE(index.seen_by_others(10, 5));
}

// ---- IdentityMatcher ------------------------------------------------------------------------

const EmbeddingSpace kSpace{"tiny", kDim};

TrackObservation obs(int track, const std::vector<float>& e) {
  TrackObservation o;
  o.track = track;
  o.box = {10 * track, 0, 20, 40};
  o.embedding = e;
  return o;
}

int64_t id_of(const FrameIdentities& f, int track) {
  for (const auto& t : f.tracks)
    if (t.track == track) return t.global_id;
  return 0;
}

MatchPolicy test_policy() {
  MatchPolicy p;
  p.threshold = 0.3;
  p.hysteresis = 0.05;
  p.sighting_interval_us = 0;
  p.sync_interval_us = 0;
  p.min_embeddings = 1;
  return p;
}

TEST(IdentityMatcher, OnePersonKeepsOneIdentityAcrossCamerasAndOthersGetNewOnes) {
  IdentityMatcher m(test_policy(), nullptr);
  const auto alice = unit(1), bob = unit(2);
  int64_t t = 1000000;
  FrameIdentities f;
  for (int i = 0; i < 5; ++i)
    f = m.process_frame("cam1", t += 100000, kSpace, {obs(1, near(alice, 0.2, i))});
  const int64_t a = id_of(f, 1);
  ASSERT_NE(a, 0);
  f = m.process_frame("cam2", t += 100000, kSpace, {obs(7, near(alice, 0.2, 50)), obs(8, bob)});
  EXPECT_EQ(id_of(f, 7), a);
  EXPECT_NE(id_of(f, 8), 0);
  EXPECT_NE(id_of(f, 8), a);
  ASSERT_EQ(f.events.size(), 2u);
  for (const auto& e : f.events) EXPECT_EQ(e.kind, e.track == 7 ? "matched" : "new");
}

TEST(IdentityMatcher, TwoTracksOfOneCameraNeverShareAnIdentityUnderTheConstraint) {
  const auto twin = unit(1);
  for (const bool constrained : {true, false}) {
    auto policy = test_policy();
    policy.same_camera_constraint = constrained;
    IdentityMatcher m(policy, nullptr);
    m.process_frame("cam2", 1000000, kSpace, {obs(1, twin)});  // seen once elsewhere
    const auto f = m.process_frame("cam1", 2000000, kSpace,
                                   {obs(1, near(twin, 0.05, 1)), obs(2, near(twin, 0.05, 2))});
    if (constrained) {
      EXPECT_NE(id_of(f, 1), id_of(f, 2));
    } else {
      EXPECT_EQ(id_of(f, 1), id_of(f, 2));
    }
  }
}

// Camera 2's track wavers between two similar people seen by camera 1 (one embedding per
// frame, no averaging); returns how often its identity changes.
int wavering_switches(double hysteresis) {
  auto policy = test_policy();
  policy.track_window = 1;
  policy.hysteresis = hysteresis;
  IdentityMatcher m(policy, nullptr);
  const auto a = unit(1);
  const auto b = near(a, 0.6, 2);
  m.process_frame("cam1", 1000000, kSpace, {obs(1, a)});
  m.process_frame("cam1", 1000000, kSpace, {obs(2, b)});
  int switches = 0;
  int64_t last = 0;
  for (int i = 0; i < 20; ++i) {
    std::vector<float> mix(kDim);
    const double w = i % 2 ? 0.52 : 0.48;
    for (int d = 0; d < kDim; ++d) mix[d] = static_cast<float>(w * a[d] + (1 - w) * b[d]);
    const auto f = m.process_frame("cam2", 2000000 + i * 100000, kSpace, {obs(5, mix)});
    if (last != 0 && id_of(f, 5) != last) ++switches;
    last = id_of(f, 5);
  }
  return switches;
}

TEST(IdentityMatcher, HysteresisHoldsAnIdentityBetweenTwoCloseCandidates) {
  EXPECT_GT(wavering_switches(0.0), 10);  // without a margin it flips nearly every frame
  EXPECT_EQ(wavering_switches(0.05), 0);
}

TEST(IdentityMatcher, AFirstMistakeIsMergedIntoTheRightIdentity) {
  IdentityMatcher m(test_policy(), nullptr);
  const auto alice = unit(1);
  auto f = m.process_frame("cam1", 1000000, kSpace, {obs(1, alice)});
  const int64_t a = id_of(f, 1);
  // Camera 2's track starts on a bad crop (a new identity), then sees alice clearly.
  f = m.process_frame("cam2", 2000000, kSpace, {obs(3, unit(99))});
  const int64_t wrong = id_of(f, 3);
  EXPECT_NE(wrong, a);
  for (int i = 0; i < 12; ++i)
    f = m.process_frame("cam2", 2100000 + i * 100000, kSpace, {obs(3, alice)});
  EXPECT_EQ(id_of(f, 3), a);
  EXPECT_EQ(m.identity_count(), 1u);  // the mistaken identity is gone
}

TEST(IdentityMatcher, ATrackIsMatchedOnceItHasMinEmbeddings) {
  auto policy = test_policy();
  policy.min_embeddings = 3;
  IdentityMatcher m(policy, nullptr);
  const auto alice = unit(1);
  EXPECT_EQ(id_of(m.process_frame("cam1", 1, kSpace, {obs(1, alice)}), 1), 0);
  EXPECT_EQ(id_of(m.process_frame("cam1", 2, kSpace, {obs(1, {})}), 1), 0);  // no new embedding
  EXPECT_EQ(id_of(m.process_frame("cam1", 3, kSpace, {obs(1, alice)}), 1), 0);
  EXPECT_NE(id_of(m.process_frame("cam1", 4, kSpace, {obs(1, alice)}), 1), 0);
}

TEST(IdentityMatcher, OnlySightingsInTheTimeWindowMatch) {
  auto policy = test_policy();
  policy.time_window_us = 10000000;
  IdentityMatcher m(policy, nullptr);
  const auto alice = unit(1);
  const int64_t a = id_of(m.process_frame("cam1", 1000000, kSpace, {obs(1, alice)}), 1);
  EXPECT_EQ(id_of(m.process_frame("cam2", 5000000, kSpace, {obs(1, alice)}), 1), a);
  EXPECT_NE(id_of(m.process_frame("cam3", 60000000, kSpace, {obs(1, alice)}), 1), a);
}

TEST(IdentityMatcher, TracksThatLeaveReleaseTheirIdentityAndTtlForgets) {
  auto policy = test_policy();
  policy.ttl_us = 30000000;
  policy.track_timeout_us = 1000000;
  IdentityMatcher m(policy, nullptr);
  const auto alice = unit(1);
  m.process_frame("cam1", 1000000, kSpace, {obs(1, alice)});
  EXPECT_EQ(m.sighting_count(), 1u);
  m.process_frame("cam1", 100000000, kSpace, {obs(2, unit(2))});  // long after: alice expired
  EXPECT_EQ(m.sighting_count(), 1u);
}

TEST(IdentityMatcher, TwoProcessesShareIdentitiesAndLabelsThroughTheGalleryFile) {
  const auto path = gallery_path();
  {
    GalleryStore store(path);
    store.require_space(kSpace);
    std::vector<SightingRecord> s = {
        sighting(store.create_identity("carol", 1), 0, 1, unit(3), true)};
    store.add_sightings(s);
  }
  IdentityMatcher first(test_policy(), std::make_unique<GalleryStore>(path));
  IdentityMatcher second(test_policy(), std::make_unique<GalleryStore>(path));
  const auto alice = unit(1);
  const int64_t now = 1000000;
  auto f =
      first.process_frame("lobby", now, kSpace, {obs(1, alice), obs(2, near(unit(3), 0.1, 4))});
  const int64_t a = id_of(f, 1);
  EXPECT_EQ(f.tracks[1].label, "carol");
  f = second.process_frame("garage", now + 500000, kSpace, {obs(4, near(alice, 0.1, 5))});
  EXPECT_EQ(id_of(f, 4), a);
  EXPECT_TRUE(f.warning.empty()) << f.warning;
  GalleryStore check(path);
  EXPECT_EQ(check.sighting_count(), 4);
}

TEST(IdentityMatcher, WrongEmbeddingsAreClearErrors) {
  IdentityMatcher m(test_policy(), nullptr);
  m.process_frame("cam1", 1, kSpace, {obs(1, unit(1))});
  expect_error(
      [&] {
        m.process_frame("cam1", 2, {"hat-r18", 1024}, {obs(1, unit(1, 1024))});
      },
      "every camera needs the same model");
  const auto path = gallery_path();
  {
    GalleryStore store(path);
    store.require_space({"hat-r50", 4096});
  }
  IdentityMatcher g(test_policy(), std::make_unique<GalleryStore>(path));
  expect_error([&] { g.process_frame("cam1", 1, kSpace, {obs(1, unit(1))}); },
               "holds 4096-d embeddings of hat-r50");
}

TEST(HatGalleryCli, EnrollListSearchPurgeExportAndErrors) {
  const std::string tool = test::hat_gallery_tool(), dir = test::scratch_dir();
  const std::string gallery = dir + "/gallery.db", model = test::tiny_model_path();
  std::vector<std::string> images;
  for (int i = 0; i < 3; ++i) {
    images.push_back(dir + "/p" + std::to_string(i) + ".png");
    const uint64_t who = i < 2 ? 1 : 2;  // two images of one person, one of another
    cv::imwrite(images.back(),
                render_person(make_identity(who), make_camera(i), 10 + i, {64, 128}));
  }
  auto r = test::run(tool + " enroll --gallery " + gallery + " --name alice --model " + model +
                     " " + images[0] + " " + images[1]);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("enrolled 2 image(s) of 'alice' as identity 1 (new)"), std::string::npos)
      << r.output;
  r = test::run(tool + " enroll --gallery " + gallery + " --name bob --model " + model + " " +
                images[2]);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = test::run(tool + " list --gallery " + gallery + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto list = nlohmann::json::parse(r.output);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["label"], "alice");
  EXPECT_EQ(list[0]["sightings"], 2);
  r = test::run(tool + " search --gallery " + gallery + " --model " + model + " --image " +
                images[0] + " --top 2 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto hits = nlohmann::json::parse(r.output);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0]["label"], "alice");
  EXPECT_NEAR(hits[0]["distance"].get<double>(), 0.0, 2e-3);  // the image itself (fp16)
  EXPECT_LE(hits[0]["distance"].get<double>(), hits[1]["distance"].get<double>());
  r = test::run(tool + " export --gallery " + gallery + " --embeddings --output " + dir +
                "/export.json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto exported = nlohmann::json::parse(read_file(dir + "/export.json"));
  EXPECT_EQ(exported["model"], "tiny");
  EXPECT_EQ(exported["identities"][1]["sightings"][0]["embedding"].size(), 640u);
  r = test::run(tool + " purge --gallery " + gallery + " --older-than 0s");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("purged 0 sightings and 0 identities"), std::string::npos) << r.output;

  // Bad input: one line, non-zero exit, the gallery untouched.
  const std::string before = read_file(gallery);
  for (const auto& [command, expected] : std::vector<std::pair<std::string, std::string>>{
           {"list --gallery " + dir + "/none.db", "no such file"},
           {"enroll --gallery " + gallery + " --name x --model " + model + " " + dir + "/no.png",
            "no.png"},
           {"enroll --gallery " + gallery + " --name x --model " + dir + "/no.hat " + images[0],
            "no.hat"},
           {"purge --gallery " + gallery + " --older-than soon", "'soon' is not a duration"},
           {"list --gallery " + images[0], "is corrupt or not a gallery"}}) {
    r = test::run(tool + " " + command);
    EXPECT_NE(r.exit_code, 0) << command;
    EXPECT_NE(r.output.find(expected), std::string::npos) << command << ": " << r.output;
    EXPECT_EQ(test::line_count(r.output), 1) << r.output;
  }
  EXPECT_EQ(read_file(gallery), before);
}

}  // namespace
}  // namespace hat
