#include "gallery/sqlite_gallery_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <set>
#include <sstream>
#include <thread>

#include "base/error.h"
#include "gallery/half_float.h"

namespace hat {

namespace {
// 2: thumbnails. A version-1 file is upgraded when opened for writing.
constexpr int kSchemaVersion = 2;

// JPEG crops of sightings, deleted with them (so they share the embeddings' TTL and purge);
// `identity` follows merges so that an identity's thumbnails are found without a join.
constexpr const char* kThumbnailSchema = R"sql(
CREATE TABLE thumbnails (
  sighting INTEGER PRIMARY KEY REFERENCES sightings(id) ON DELETE CASCADE,
  identity INTEGER NOT NULL,
  score REAL NOT NULL,
  jpeg BLOB NOT NULL);
CREATE INDEX thumbnails_by_identity ON thumbnails(identity);
)sql";

constexpr const char* kSchema = R"sql(
CREATE TABLE gallery_info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE identities (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  label TEXT UNIQUE,
  created_us INTEGER NOT NULL);
CREATE TABLE sightings (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  identity INTEGER NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
  session INTEGER NOT NULL,
  camera TEXT NOT NULL,
  track INTEGER NOT NULL,
  time_us INTEGER NOT NULL,
  x INTEGER NOT NULL, y INTEGER NOT NULL, width INTEGER NOT NULL, height INTEGER NOT NULL,
  enrolled INTEGER NOT NULL DEFAULT 0,
  embedding BLOB NOT NULL);
CREATE INDEX sightings_by_time ON sightings(time_us);
CREATE INDEX sightings_by_identity ON sightings(identity);
CREATE TABLE merges (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  from_id INTEGER NOT NULL,
  into_id INTEGER NOT NULL,
  time_us INTEGER NOT NULL);
)sql";
}  // namespace

// A prepared statement that finalises itself; every failure goes through fail().
class SqliteGalleryStore::Statement {
 public:
  Statement(const SqliteGalleryStore& store, const char* sql) : store_(store) {
    const int rc = sqlite3_prepare_v2(store.db_, sql, -1, &stmt_, nullptr);
    if (rc != SQLITE_OK) store.fail(rc, "preparing a query");
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int i, int64_t v) {
    check(sqlite3_bind_int64(stmt_, i, v));
    return *this;
  }
  Statement& bind(int i, const std::string& v) {
    check(sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    return *this;
  }
  Statement& bind_null(int i) {
    check(sqlite3_bind_null(stmt_, i));
    return *this;
  }
  Statement& bind_real(int i, double v) {
    check(sqlite3_bind_double(stmt_, i, v));
    return *this;
  }
  Statement& bind_blob(int i, const std::string& v) {
    check(sqlite3_bind_blob(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT));
    return *this;
  }
  // true while there is a row; throws on error.
  bool step(const char* what) {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    store_.fail(rc, what);
  }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  int64_t integer(int c) const { return sqlite3_column_int64(stmt_, c); }
  bool is_null(int c) const { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
  std::string text(int c) const {
    const auto* t = sqlite3_column_text(stmt_, c);
    return t ? reinterpret_cast<const char*>(t) : "";
  }
  const void* blob(int c, int& size) const {
    const void* b = sqlite3_column_blob(stmt_, c);
    size = sqlite3_column_bytes(stmt_, c);
    return b;
  }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK) store_.fail(rc, "binding a value");
  }
  const SqliteGalleryStore& store_;
  sqlite3_stmt* stmt_ = nullptr;
};

SqliteGalleryStore::SqliteGalleryStore(std::string path, const GalleryOpenOptions& options)
    : path_(std::move(path)), busy_timeout_ms_(options.busy_timeout_ms) {
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    if (errno != ENOENT) throw Error("gallery " + path_ + ": " + std::strerror(errno));
    if (options.read_only || !options.create) throw Error("gallery " + path_ + ": no such file");
    // Created here, owner-only, before SQLite sees it: SQLite gives its -wal and -shm files the
    // database's permissions, and a umask must not widen them.
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST)
      throw Error("gallery " + path_ + ": cannot create: " + std::strerror(errno));
    if (fd >= 0) {
      ::fchmod(fd, 0600);
      ::close(fd);
    }
  } else if (S_ISDIR(st.st_mode)) {
    throw Error("gallery " + path_ + " is a directory, not a gallery file");
  }
  if (!options.read_only && ::access(path_.c_str(), W_OK) != 0)
    throw Error("gallery " + path_ + " is read-only (" + std::strerror(errno) +
                "): a pipeline needs to write sightings to it");
  const int flags =
      (options.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_FULLMUTEX;
  const int rc = sqlite3_open_v2(path_.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string message = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error("gallery " + path_ + ": cannot open: " + message);
  }
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, busy_timeout_ms_);
  try {
    // What the file holds decides: a gallery is used, an empty file becomes one, anything else
    // (another database, a corrupt or foreign file) is refused untouched.
    bool has_info = false;
    int tables = 0;
    {
      Statement q(*this, "SELECT name FROM sqlite_master WHERE type = 'table'");
      while (q.step("reading its tables")) {
        ++tables;
        if (q.text(0) == "gallery_info") has_info = true;
      }
    }
    int version = 0;
    if (has_info) {
      Statement q(*this, "SELECT value FROM gallery_info WHERE key = 'schema'");
      // SQLite's own conversion: a damaged value reads as a wrong version, never an exception.
      version = q.step("reading its schema version")
                    ? static_cast<int>(std::clamp<int64_t>(q.integer(0), -1, 1 << 20))
                    : 0;
      if (version != kSchemaVersion && version != 1)
        throw Error("gallery " + path_ + " has schema version " + std::to_string(version) +
                    ", this build reads versions 1 and " + std::to_string(kSchemaVersion));
    } else if (tables > 0) {
      throw Error("gallery " + path_ +
                  " is an SQLite database but not a hat gallery (no gallery_info table)");
    } else if (options.read_only) {
      throw Error("gallery " + path_ + " is empty: nothing has been enrolled or seen yet");
    }
    if (!options.read_only) {
      switch_to_wal();
      exec("PRAGMA synchronous = NORMAL");
    }
    exec("PRAGMA foreign_keys = ON");
    if (!has_info) create_schema();
    if (version == 1 && !options.read_only) upgrade_to_thumbnails();
    has_thumbnails_ = version != 1 || !options.read_only;
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

SqliteGalleryStore::~SqliteGalleryStore() { sqlite3_close(db_); }

void SqliteGalleryStore::fail(int rc, const std::string& what) const {
  const std::string sqlite = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      throw Error("gallery " + path_ + " is locked by another process (waited " +
                  std::to_string(busy_timeout_ms_) + " ms) while " + what);
    case SQLITE_READONLY:
    case SQLITE_PERM:
      throw Error("gallery " + path_ + " is read-only: cannot " + what + " (" + sqlite + ")");
    case SQLITE_FULL:
      throw Error("gallery " + path_ + ": disk full while " + what +
                  "; nothing of this write was saved");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      throw Error("gallery " + path_ + " is corrupt or not a gallery (" + sqlite + ") while " +
                  what);
    default:
      throw Error("gallery " + path_ + ": " + sqlite + " while " + what);
  }
}

void SqliteGalleryStore::exec(const char* sql) const {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  sqlite3_free(message);
  if (rc != SQLITE_OK) fail(rc, std::string("running ") + sql);
}

void SqliteGalleryStore::with_transaction(const std::function<void()>& body) {
  // IMMEDIATE takes the write lock up front, so a busy gallery waits in the busy handler
  // instead of failing half-way when a read would have to become a write.
  exec("BEGIN IMMEDIATE");
  try {
    body();
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
}

void SqliteGalleryStore::switch_to_wal() {
  // SQLite does not call the busy handler for a journal-mode change: when another process holds
  // the file (two pipelines opening a new gallery together), retry until the busy timeout.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms_);
  for (;;) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, "PRAGMA journal_mode = WAL", -1, &stmt, nullptr);
    std::string mode;
    if (rc == SQLITE_OK) {
      rc = sqlite3_step(stmt);
      if (rc == SQLITE_ROW) mode = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    if (rc == SQLITE_ROW) {
      if (mode != "wal")
        throw Error("gallery " + path_ + ": cannot use WAL mode (is it on a network filesystem?)");
      return;
    }
    if ((rc & 0xff) != SQLITE_BUSY || std::chrono::steady_clock::now() >= deadline)
      fail(rc, "switching to WAL");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void SqliteGalleryStore::create_schema() {
  with_transaction([&] {
    // Two processes may find the file empty at once: the second, once it has the write lock,
    // finds the first one's schema.
    if (Statement(*this, "SELECT 1 FROM sqlite_master WHERE name = 'gallery_info'")
            .step("reading its tables"))
      return;
    exec(kSchema);
    exec(kThumbnailSchema);
    Statement(*this, "INSERT INTO gallery_info VALUES ('schema', ?)")
        .bind(1, std::to_string(kSchemaVersion))
        .step("writing the schema version");
  });
}

void SqliteGalleryStore::upgrade_to_thumbnails() {
  with_transaction([&] {
    if (Statement(*this, "SELECT 1 FROM sqlite_master WHERE name = 'thumbnails'")
            .step("reading its tables"))
      return;  // another process upgraded it first
    exec(kThumbnailSchema);
    Statement(*this, "UPDATE gallery_info SET value = ? WHERE key = 'schema'")
        .bind(1, std::to_string(kSchemaVersion))
        .step("upgrading the schema");
  });
}

std::optional<EmbeddingSpace> SqliteGalleryStore::space() const {
  Statement q(*this,
              "SELECT (SELECT value FROM gallery_info WHERE key = 'model'),"
              " (SELECT value FROM gallery_info WHERE key = 'dim')");
  if (!q.step("reading its embedding space") || q.is_null(0)) return std::nullopt;
  // A damaged dimension reads as 0 or less, which no model has: check_space refuses it.
  return EmbeddingSpace{q.text(0),
                        static_cast<int>(std::clamp<int64_t>(q.integer(1), -1, 1 << 20))};
}

void SqliteGalleryStore::require_space(const EmbeddingSpace& space) {
  if (check_space(space)) return;
  with_transaction([&] {
    // Another process may have recorded one since the read above.
    Statement check(*this, "SELECT value FROM gallery_info WHERE key = 'model'");
    if (check.step("reading its embedding space")) return;
    Statement put(*this, "INSERT INTO gallery_info VALUES (?, ?)");
    put.bind(1, std::string("model")).bind(2, space.model).step("recording the model");
    put.reset();
    put.bind(1, std::string("dim")).bind(2, std::to_string(space.dim)).step("recording the dim");
  });
  check_space(space);
}

int64_t SqliteGalleryStore::create_identity(const std::string& label, int64_t time_us) {
  int64_t id = 0;
  with_transaction([&] {
    Statement q(*this, "INSERT INTO identities (label, created_us) VALUES (?, ?)");
    if (label.empty()) {
      q.bind_null(1);
    } else {
      q.bind(1, label);
    }
    q.bind(2, time_us).step("creating an identity");
    id = sqlite3_last_insert_rowid(db_);
  });
  return id;
}

std::optional<int64_t> SqliteGalleryStore::identity_by_label(const std::string& label) const {
  Statement q(*this, "SELECT id FROM identities WHERE label = ?");
  q.bind(1, label);
  if (!q.step("looking up a label")) return std::nullopt;
  return q.integer(0);
}

void SqliteGalleryStore::add_sightings(std::vector<SightingRecord>& sightings,
                                       int thumbnails_per_identity) {
  if (sightings.empty()) return;
  std::vector<int64_t> ids;
  with_transaction([&] {
    // A sighting of an identity deleted meanwhile (hat-gallery, the HTTP service) is dropped:
    // a running pipeline must not retry it forever.
    Statement q(*this,
                "INSERT INTO sightings (identity, session, camera, track, time_us, x, y, width,"
                " height, enrolled, embedding) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11"
                " WHERE EXISTS (SELECT 1 FROM identities WHERE id = ?1)");
    for (const auto& s : sightings) {
      q.bind(1, s.identity)
          .bind(2, static_cast<int64_t>(s.session))
          .bind(3, s.camera)
          .bind(4, s.track)
          .bind(5, s.time_us)
          .bind(6, s.box.x)
          .bind(7, s.box.y)
          .bind(8, s.box.width)
          .bind(9, s.box.height)
          .bind(10, s.enrolled ? 1 : 0)
          .bind_blob(11, encode_half(s.embedding.data(), s.embedding.size()))
          .step("writing a sighting");
      ids.push_back(sqlite3_changes(db_) > 0 ? sqlite3_last_insert_rowid(db_) : 0);
      q.reset();
    }
    if (!has_thumbnails_ || thumbnails_per_identity <= 0) return;
    Statement put(*this,
                  "INSERT INTO thumbnails (sighting, identity, score, jpeg) VALUES (?, ?, ?, ?)");
    // The best-scored crop of an identity stays, and the newest others up to the bound.
    Statement trim(*this,
                   "DELETE FROM thumbnails WHERE identity = ?1 AND sighting NOT IN ("
                   " WITH best AS (SELECT sighting FROM thumbnails WHERE identity = ?1"
                   "  ORDER BY score DESC, sighting DESC LIMIT 1)"
                   " SELECT sighting FROM best UNION SELECT sighting FROM (SELECT sighting FROM"
                   "  thumbnails WHERE identity = ?1 AND sighting NOT IN best"
                   "  ORDER BY sighting DESC LIMIT ?2))");
    std::set<int64_t> touched;
    for (size_t i = 0; i < sightings.size(); ++i) {
      if (sightings[i].thumbnail_jpeg.empty() || ids[i] == 0) continue;
      put.bind(1, ids[i])
          .bind(2, sightings[i].identity)
          .bind_real(3, sightings[i].thumbnail_score)
          .bind_blob(4, sightings[i].thumbnail_jpeg)
          .step("writing a thumbnail");
      put.reset();
      touched.insert(sightings[i].identity);
    }
    for (const int64_t identity : touched) {
      trim.bind(1, identity).bind(2, thumbnails_per_identity - 1).step("trimming thumbnails");
      trim.reset();
    }
  });
  // Only once committed: a failed write leaves the records as they were, ready for a retry.
  for (size_t i = 0; i < sightings.size(); ++i) sightings[i].id = ids[i];
}

void SqliteGalleryStore::merge_identity(int64_t from, int64_t into, int64_t time_us) {
  with_transaction([&] {
    Statement(*this, "UPDATE sightings SET identity = ? WHERE identity = ?")
        .bind(1, into)
        .bind(2, from)
        .step("merging identities");
    if (has_thumbnails_)
      Statement(*this, "UPDATE thumbnails SET identity = ? WHERE identity = ?")
          .bind(1, into)
          .bind(2, from)
          .step("merging identities");
    Statement(*this, "DELETE FROM identities WHERE id = ? AND label IS NULL")
        .bind(1, from)
        .step("merging identities");
    Statement(*this, "INSERT INTO merges (from_id, into_id, time_us) VALUES (?, ?, ?)")
        .bind(1, from)
        .bind(2, into)
        .bind(3, time_us)
        .step("recording a merge");
  });
}

namespace {
constexpr const char* kSightingColumns =
    "id, identity, session, camera, track, time_us, x, y, width, height, enrolled, embedding";
}  // namespace

void SqliteGalleryStore::read_sighting(const Statement& q, SightingRecord& s,
                                       int expected_dim) const {
  s.id = q.integer(0);
  s.identity = q.integer(1);
  s.session = static_cast<uint64_t>(q.integer(2));
  s.camera = q.text(3);
  s.track = q.integer(4);
  s.time_us = q.integer(5);
  s.box = {static_cast<int>(q.integer(6)), static_cast<int>(q.integer(7)),
           static_cast<int>(q.integer(8)), static_cast<int>(q.integer(9))};
  s.enrolled = q.integer(10) != 0;
  s.embedding.clear();
  if (expected_dim < 0) return;
  int bytes = 0;
  const void* blob = q.blob(11, bytes);
  if (expected_dim > 0 && bytes != 2 * expected_dim)
    throw Error("gallery " + path_ + ": sighting " + std::to_string(s.id) + " has a " +
                std::to_string(bytes) + "-byte embedding, expected " +
                std::to_string(2 * expected_dim));
  s.embedding = decode_half(blob, static_cast<size_t>(bytes) / 2);
}

GalleryChanges SqliteGalleryStore::changes_since(GalleryCursor& cursor, uint64_t session) const {
  GalleryChanges changes;
  GalleryCursor next = cursor;
  // One read transaction: a consistent snapshot of the three tables.
  exec("BEGIN");
  try {
    {
      Statement q(*this, "SELECT id, label, created_us FROM identities WHERE id > ? ORDER BY id");
      q.bind(1, cursor.identity);
      while (q.step("reading new identities")) {
        changes.identities.push_back({q.integer(0), q.text(1), q.integer(2)});
        next.identity = q.integer(0);
      }
    }
    {
      const std::string sql =
          std::string("SELECT ") + kSightingColumns + " FROM sightings WHERE id > ? ORDER BY id";
      Statement q(*this, sql.c_str());
      q.bind(1, cursor.sighting);
      while (q.step("reading new sightings")) {
        next.sighting = q.integer(0);
        if (session != 0 && static_cast<uint64_t>(q.integer(2)) == session) continue;
        SightingRecord s;
        read_sighting(q, s, 0);
        changes.sightings.push_back(std::move(s));
      }
    }
    {
      Statement q(*this, "SELECT id, from_id, into_id FROM merges WHERE id > ? ORDER BY id");
      q.bind(1, cursor.merge);
      while (q.step("reading merges")) {
        changes.merges.emplace_back(q.integer(1), q.integer(2));
        next.merge = q.integer(0);
      }
    }
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  cursor = next;
  return changes;
}

std::vector<IdentityRecord> SqliteGalleryStore::identity_records() const {
  std::vector<IdentityRecord> out;
  Statement q(*this, "SELECT id, label, created_us FROM identities ORDER BY id");
  while (q.step("listing identities")) out.push_back({q.integer(0), q.text(1), q.integer(2)});
  return out;
}

std::vector<IdentitySummary> SqliteGalleryStore::identities() const {
  std::vector<IdentitySummary> out;
  Statement q(*this,
              "SELECT i.id, i.label, i.created_us, count(s.id), min(s.time_us), max(s.time_us),"
              " group_concat(DISTINCT s.camera) FROM identities i"
              " LEFT JOIN sightings s ON s.identity = i.id GROUP BY i.id ORDER BY i.id");
  while (q.step("listing identities")) {
    IdentitySummary s;
    s.identity = {q.integer(0), q.text(1), q.integer(2)};
    s.sightings = q.integer(3);
    s.first_us = q.integer(4);
    s.last_us = q.integer(5);
    std::istringstream cameras(q.text(6));
    for (std::string c; std::getline(cameras, c, ',');) s.cameras.push_back(c);
    out.push_back(std::move(s));
  }
  return out;
}

void SqliteGalleryStore::for_each_sighting(const std::function<void(const SightingRecord&)>& visit,
                                           bool with_embeddings) const {
  const auto space = this->space();
  const std::string sql = std::string("SELECT ") + kSightingColumns + " FROM sightings ORDER BY id";
  Statement q(*this, sql.c_str());
  SightingRecord s;
  const int dim = !with_embeddings ? -1 : space ? space->dim : 0;
  while (q.step("reading sightings")) {
    read_sighting(q, s, dim);
    visit(s);
  }
}

std::vector<SightingRecord> SqliteGalleryStore::sightings_of(int64_t identity,
                                                             const SightingFilter& filter) const {
  const std::string thumbnail =
      has_thumbnails_ ? "(SELECT count(*) FROM thumbnails t WHERE t.sighting = sightings.id)" : "0";
  const std::string sql = std::string("SELECT ") + kSightingColumns + ", " + thumbnail +
                          " FROM sightings WHERE identity = ? AND time_us >= ? AND time_us <= ?"
                          " AND (? = '' OR camera = ?) ORDER BY time_us DESC, id DESC LIMIT ?";
  Statement q(*this, sql.c_str());
  q.bind(1, identity)
      .bind(2, filter.from_us)
      .bind(3, filter.to_us)
      .bind(4, filter.camera)
      .bind(5, filter.camera)
      .bind(6, filter.limit);
  std::vector<SightingRecord> out;
  while (q.step("reading sightings")) {
    SightingRecord s;
    read_sighting(q, s, -1);
    s.has_thumbnail = q.integer(12) != 0;
    out.push_back(std::move(s));
  }
  return out;
}

std::optional<std::string> SqliteGalleryStore::thumbnail(int64_t sighting) const {
  if (!has_thumbnails_) return std::nullopt;
  Statement q(*this, "SELECT jpeg FROM thumbnails WHERE sighting = ?");
  q.bind(1, sighting);
  if (!q.step("reading a thumbnail")) return std::nullopt;
  int bytes = 0;
  const void* blob = q.blob(0, bytes);
  return std::string(static_cast<const char*>(blob), static_cast<size_t>(bytes));
}

std::optional<int64_t> SqliteGalleryStore::best_thumbnail(int64_t identity) const {
  if (!has_thumbnails_) return std::nullopt;
  Statement q(*this,
              "SELECT sighting FROM thumbnails WHERE identity = ? ORDER BY score DESC, sighting"
              " DESC LIMIT 1");
  q.bind(1, identity);
  if (!q.step("reading thumbnails")) return std::nullopt;
  return q.integer(0);
}

void SqliteGalleryStore::rename_identity(int64_t id, const std::string& label) {
  with_transaction([&] {
    Statement find(*this, "SELECT id FROM identities WHERE label = ? AND id != ?");
    find.bind(1, label).bind(2, id);
    if (!label.empty() && find.step("looking up a label"))
      throw Error("gallery " + path_ + ": the label '" + label + "' is identity " +
                  std::to_string(find.integer(0)) + "'s already");
    Statement q(*this, "UPDATE identities SET label = ? WHERE id = ?");
    if (label.empty()) {
      q.bind_null(1);
    } else {
      q.bind(1, label);
    }
    q.bind(2, id).step("renaming an identity");
    if (sqlite3_changes(db_) == 0)
      throw Error("gallery " + path_ + ": no identity " + std::to_string(id));
  });
}

bool SqliteGalleryStore::delete_identity(int64_t id) {
  bool deleted = false;
  with_transaction([&] {
    Statement(*this, "DELETE FROM identities WHERE id = ?")
        .bind(1, id)
        .step("deleting an identity");
    deleted = sqlite3_changes(db_) > 0;  // its sightings and thumbnails go with it (cascade)
  });
  return deleted;
}

int64_t SqliteGalleryStore::sighting_count() const {
  Statement q(*this, "SELECT count(*) FROM sightings");
  q.step("counting sightings");
  return q.integer(0);
}

GalleryStore::PurgeResult SqliteGalleryStore::purge_before(int64_t time_us) {
  PurgeResult result;
  with_transaction([&] {
    Statement(*this, "DELETE FROM sightings WHERE time_us < ? AND enrolled = 0")
        .bind(1, time_us)
        .step("purging sightings");
    result.sightings = sqlite3_changes(db_);
    // Only identities older than the cut: one created a moment ago may not have its first
    // sighting yet.
    Statement(*this,
              "DELETE FROM identities WHERE label IS NULL AND created_us < ? AND NOT EXISTS"
              " (SELECT 1 FROM sightings WHERE sightings.identity = identities.id)")
        .bind(1, time_us)
        .step("purging identities");
    result.identities = sqlite3_changes(db_);
  });
  return result;
}

std::string SqliteGalleryStore::integrity_check() const {
  Statement q(*this, "PRAGMA integrity_check");
  std::string out;
  while (q.step("checking integrity")) out += (out.empty() ? "" : "; ") + q.text(0);
  return out;
}

}  // namespace hat
