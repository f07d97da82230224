// gallery/gallery_store: the contract both backends keep (one parameterised suite: SQLite and a
// real PostgreSQL cluster): what is written is read back, the model check, followers see new
// identities, sightings and merges, retention, thumbnails, renames and deletes, concurrent
// writers and creators, a killed writer. Then what is SQLite's own: the owner-only WAL file and
// its failure modes (corrupt, foreign, locked, read-only, version 1).
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "base/error.h"
#include "base/file_io.h"
#include "gallery/sqlite_gallery_store.h"
#include "tests/gallery_fixtures.h"
#include "tests/postgres_server.h"
#include "tests/test_env.h"

namespace hat {
namespace {

using namespace test;  // the gallery fixtures: unit, near, sighting, gallery_path, expect_error

class GalleryContract : public ::testing::TestWithParam<std::string> {
 protected:
  // A new, empty gallery of the backend under test: a file path or a fresh database's URI.
  static std::string new_location() {
    return GetParam() == "sqlite" ? gallery_path() : shared_postgres().create_database();
  }
  static std::unique_ptr<GalleryStore> open(const std::string& location,
                                            const GalleryOpenOptions& options = {}) {
    return open_gallery(location, options);
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, GalleryContract, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

TEST_P(GalleryContract, KeepsWhatIsWrittenAndReadsItBack) {
  const auto location = new_location();
  {
    const auto store = open(location);
    store->require_space({"tiny", kDim});
    const int64_t a = store->create_identity("", 100);
    const int64_t b = store->create_identity("alice", 100);
    EXPECT_GT(b, a);
    std::vector<SightingRecord> s = {sighting(a, 7, 1000, unit(1)),
                                     sighting(b, 0, 2000, unit(2), true)};
    store->add_sightings(s);
    EXPECT_GT(s[0].id, 0);
    EXPECT_GT(s[1].id, s[0].id);
    EXPECT_EQ(store->identity_by_label("alice"), b);
    EXPECT_FALSE(store->identity_by_label("bob"));
  }
  const auto store = open(location, {.read_only = true});
  EXPECT_EQ(store->space()->model, "tiny");
  EXPECT_EQ(store->space()->dim, kDim);
  EXPECT_EQ(store->sighting_count(), 2);
  const auto ids = store->identities();
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[1].identity.label, "alice");
  EXPECT_EQ(ids[0].cameras, std::vector<std::string>{"cam"});
  EXPECT_EQ(ids[0].first_us, 1000);
  std::vector<SightingRecord> read;
  store->for_each_sighting([&](const SightingRecord& s) { read.push_back(s); }, true);
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0].box.height, 60);
  EXPECT_EQ(read[0].session, 7u);
  EXPECT_TRUE(read[1].enrolled);
  for (int d = 0; d < kDim; ++d) EXPECT_NEAR(read[0].embedding[d], unit(1)[d], 1e-3);
  EXPECT_EQ(store->integrity_check(), "ok");
}

TEST(SqliteGalleryStore, CreatesAnOwnerOnlyWalFile) {
  const auto path = gallery_path();
  const mode_t old_umask = umask(0);  // a permissive umask must not widen the file
  {
    SqliteGalleryStore store(path);
    store.require_space({"tiny", kDim});
    std::vector<SightingRecord> s = {sighting(store.create_identity("", 100), 7, 1000, unit(1))};
    store.add_sightings(s);
  }
  umask(old_umask);
  for (const std::string suffix : {"", "-wal", "-shm"}) {
    struct stat st {};
    if (stat((path + suffix).c_str(), &st) != 0) continue;  // -wal/-shm go at a clean close
    EXPECT_EQ(st.st_mode & 0777, 0600u) << suffix;
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, nullptr);
  ASSERT_EQ(sqlite3_step(q), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(q, 0)), "wal");
  sqlite3_finalize(q);
  sqlite3_close(db);
}

TEST_P(GalleryContract, RefusesAnotherModelsEmbeddings) {
  const auto store_ptr = open(new_location());
  GalleryStore& store = *store_ptr;
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

TEST_P(GalleryContract, AnotherConnectionSeesNewIdentitiesSightingsAndMerges) {
  const auto location = new_location();
  const auto writer_ptr = open(location);
  GalleryStore& writer = *writer_ptr;
  const auto reader_ptr = open(location);
  GalleryStore& reader = *reader_ptr;
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

TEST_P(GalleryContract, PurgeKeepsEnrolledImagesAndRecentSightings) {
  const auto store_ptr = open(new_location());
  GalleryStore& store = *store_ptr;
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

TEST_P(GalleryContract, KeepsTheBestAndTheNewestThumbnailsPerIdentityAndFollowsMerges) {
  const auto store_ptr = open(new_location());
  GalleryStore& store = *store_ptr;
  store.require_space({"tiny", kDim});
  const int64_t a = store.create_identity("", 100), b = store.create_identity("", 100);
  std::vector<SightingRecord> s;
  for (int i = 0; i < 6; ++i) {
    s.push_back(sighting(a, 7, 1000 + i, unit(1)));
    s.back().thumbnail_jpeg = "jpeg-" + std::to_string(i);
    s.back().thumbnail_score = i == 1 ? 0.9 : 0.1;  // the second is the best picture
  }
  s.push_back(sighting(b, 7, 2000, unit(2)));  // without a picture
  store.add_sightings(s, 3);
  std::vector<int64_t> with;
  for (const auto& x : store.sightings_of(a, {}))
    if (x.has_thumbnail) with.push_back(x.id);
  // The best (sighting 2) and the two newest (6, 5), newest first.
  EXPECT_EQ(with, (std::vector<int64_t>{s[5].id, s[4].id, s[1].id}));
  EXPECT_EQ(store.best_thumbnail(a), s[1].id);
  EXPECT_EQ(store.thumbnail(s[1].id), "jpeg-1");
  EXPECT_FALSE(store.thumbnail(s[0].id));
  EXPECT_FALSE(store.best_thumbnail(b));
  store.merge_identity(a, b, 3000);
  EXPECT_EQ(store.best_thumbnail(b), s[1].id);
  // Filters: camera and time range.
  EXPECT_EQ(store.sightings_of(b, {"cam", 1003, 1005, 10}).size(), 3u);
  EXPECT_TRUE(store.sightings_of(b, {"other", 0, 10000, 10}).empty());
  EXPECT_EQ(store.sightings_of(b, {"", 0, 10000, 2}).size(), 2u);
  // Purged sightings take their pictures with them.
  store.purge_before(1004);
  EXPECT_FALSE(store.thumbnail(s[1].id));
}

TEST_P(GalleryContract, RenamesAndDeletesIdentitiesAndDropsLaterSightingsOfDeletedOnes) {
  const auto store_ptr = open(new_location());
  GalleryStore& store = *store_ptr;
  store.require_space({"tiny", kDim});
  const int64_t a = store.create_identity("alice", 100), b = store.create_identity("", 100);
  store.rename_identity(b, "bob");
  EXPECT_EQ(store.identity_by_label("bob"), b);
  expect_error([&] { store.rename_identity(b, "alice"); }, "'alice' is identity 1's already");
  expect_error([&] { store.rename_identity(99, "carol"); }, "no identity 99");
  std::vector<SightingRecord> s = {sighting(a, 1, 1000, unit(1))};
  s[0].thumbnail_jpeg = "x";
  store.add_sightings(s);
  EXPECT_TRUE(store.delete_identity(a));
  EXPECT_FALSE(store.delete_identity(a));
  EXPECT_FALSE(store.identity(a));
  EXPECT_FALSE(store.thumbnail(s[0].id));
  EXPECT_EQ(store.sighting_count(), 0);
  // A pipeline that still holds the deleted identity writes a sighting of it: dropped, not an
  // error it would retry forever.
  std::vector<SightingRecord> late = {sighting(a, 1, 2000, unit(1)), sighting(b, 1, 2000, unit(2))};
  store.add_sightings(late);
  EXPECT_EQ(late[0].id, 0);
  EXPECT_GT(late[1].id, 0);
  EXPECT_EQ(store.sighting_count(), 1);
}

TEST(SqliteGalleryStore, UpgradesAVersionOneGalleryAndKeepsItsSightings) {
  const auto path = gallery_path();
  {
    SqliteGalleryStore store(path);
    store.require_space({"tiny", kDim});
    std::vector<SightingRecord> s = {sighting(store.create_identity("", 1), 1, 1000, unit(1))};
    store.add_sightings(s);
  }
  // Made into what a version-1 build wrote: no thumbnails table, schema 1.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(
          db, "DROP TABLE thumbnails; UPDATE gallery_info SET value = '1' WHERE key = 'schema'",
          nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(db);
  {
    const SqliteGalleryStore old(path, {.read_only = true});  // read as it is
    EXPECT_EQ(old.sighting_count(), 1);
    EXPECT_FALSE(old.best_thumbnail(1));
  }
  SqliteGalleryStore store(path);  // upgraded on opening for writing
  std::vector<SightingRecord> s = {sighting(1, 1, 2000, unit(1))};
  s[0].thumbnail_jpeg = "jpeg";
  store.add_sightings(s);
  EXPECT_EQ(store.sighting_count(), 2);
  EXPECT_EQ(store.thumbnail(s[0].id), "jpeg");
}

TEST(SqliteGalleryStore, CorruptOrForeignFilesAreClearErrorsAndLeftUntouched) {
  const auto dir = test::scratch_dir();
  const std::string corrupt = dir + "/corrupt.db";
  std::string junk(8192, '\0');
  for (size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<char>(i * 7 + 3);
  write_file_atomically(corrupt, junk.data(), junk.size());
  expect_error([&] { SqliteGalleryStore s(corrupt); },
               "gallery " + corrupt + " is corrupt or not a gallery");
  EXPECT_EQ(read_file(corrupt), junk);

  const std::string foreign = dir + "/foreign.db";
  sqlite3* db = nullptr;
  sqlite3_open(foreign.c_str(), &db);
  sqlite3_exec(db, "CREATE TABLE accounts(id INTEGER); INSERT INTO accounts VALUES (42)", nullptr,
               nullptr, nullptr);
  sqlite3_close(db);
  const std::string before = read_file(foreign);
  expect_error([&] { SqliteGalleryStore s(foreign); },
               "is an SQLite database but not a hat gallery");
  EXPECT_EQ(read_file(foreign), before);

  expect_error([&] { SqliteGalleryStore s(dir); }, "is a directory");
  expect_error([&] { SqliteGalleryStore s(dir + "/none.db", {.read_only = true}); },
               "no such file");
  expect_error([&] { SqliteGalleryStore s(dir + "/missing/dir/g.db"); }, "cannot create");
}

TEST(SqliteGalleryStore, ALockedGalleryIsAClearErrorAndTheWriteSucceedsOnceFree) {
  const auto path = gallery_path();
  SqliteGalleryStore store(path, {.busy_timeout_ms = 200});
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

TEST(SqliteGalleryStore, AReadOnlyGalleryIsAClearErrorAndLeftUntouched) {
  const auto dir = test::scratch_dir();
  const std::string path = dir + "/gallery.db";
  {
    SqliteGalleryStore store(path);
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
      SqliteGalleryStore store(path);
      return std::string("opened");
    } catch (const Error& e) {
      return std::string(e.what());
    }
  });
  EXPECT_NE(message.find("gallery " + path + " is read-only"), std::string::npos) << message;
  EXPECT_EQ(read_file(path), before);
  // Read-only use (list, search, export) still works.
  SqliteGalleryStore reader(path, {.read_only = true});
  EXPECT_EQ(reader.sighting_count(), 1);
}

TEST_P(GalleryContract, ConcurrentWritersLoseNothing) {
  const auto location = new_location();
  {
    const auto store_ptr = open(location);
    GalleryStore& store = *store_ptr;
    store.require_space({"tiny", kDim});
  }
  constexpr int kWriters = 8, kBatches = 25, kPerBatch = 5;
  std::vector<pid_t> children;
  for (int w = 0; w < kWriters; ++w) {
    const pid_t pid = fork();
    if (pid == 0) {
      int code = 0;
      try {
        const auto store_ptr = open(location, {.busy_timeout_ms = 20000});
        GalleryStore& store = *store_ptr;
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
  const auto store_ptr = open(location);
  GalleryStore& store = *store_ptr;
  EXPECT_EQ(store.integrity_check(), "ok");
  EXPECT_EQ(store.sighting_count(), kWriters * kBatches * kPerBatch);
  const auto ids = store.identities();
  EXPECT_EQ(ids.size(), static_cast<size_t>(kWriters * kBatches));  // ids never collide
  for (const auto& i : ids) EXPECT_EQ(i.sightings, kPerBatch);
}

TEST_P(GalleryContract, ProcessesCreatingOneNewGalleryAtOnceAllSucceed) {
  for (int round = 0; round < 20; ++round) {
    const auto location = new_location();  // does not exist yet
    std::vector<pid_t> children;
    for (int w = 0; w < 8; ++w) {
      const pid_t pid = fork();
      if (pid == 0) {
        try {
          const auto store_ptr = open(location);
          GalleryStore& store = *store_ptr;
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
    const auto store_ptr = open(location);
    GalleryStore& store = *store_ptr;
    EXPECT_EQ(store.sighting_count(), 8);
  }
}

TEST_P(GalleryContract, AKilledWriterLeavesEveryCommittedSighting) {
  const auto location = new_location();
  {
    const auto store_ptr = open(location);
    GalleryStore& store = *store_ptr;
    store.require_space({"tiny", kDim});
  }
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    const auto store_ptr = open(location);
    GalleryStore& store = *store_ptr;
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
  const auto store_ptr = open(location);
  GalleryStore& store = *store_ptr;
  EXPECT_EQ(store.integrity_check(), "ok");
  EXPECT_GE(store.sighting_count(), committed);
  EXPECT_LE(store.sighting_count(), committed + 10);
  std::printf("killed after %lld committed sightings; the gallery holds %lld\n",
              static_cast<long long>(committed), static_cast<long long>(store.sighting_count()));
}

}  // namespace
}  // namespace hat
