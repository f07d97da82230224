#include "gallery/postgres_gallery_store.h"

#include <libpq-fe.h>
#include <poll.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <set>
#include <sstream>
#include <utility>

#include "base/error.h"
#include "gallery/half_float.h"

namespace hat {

namespace {
// The hat_* tables' own schema version (independent of the SQLite file's numbering).
constexpr const char* kSchemaVersion = "1";
constexpr int64_t kSchemaLock = 0x6861740067616c;  // pg_advisory_xact_lock key: "hat\0gal"

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS hat_gallery_info (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS hat_change_clock (id int PRIMARY KEY CHECK (id = 1), value bigint NOT NULL);
INSERT INTO hat_change_clock VALUES (1, 0) ON CONFLICT DO NOTHING;
CREATE TABLE IF NOT EXISTS hat_identities (
  id bigserial PRIMARY KEY,
  label text UNIQUE,
  created_us bigint NOT NULL,
  change bigint NOT NULL);
CREATE INDEX IF NOT EXISTS hat_identities_by_change ON hat_identities(change);
CREATE TABLE IF NOT EXISTS hat_sightings (
  id bigserial PRIMARY KEY,
  identity bigint NOT NULL REFERENCES hat_identities(id) ON DELETE CASCADE,
  session bigint NOT NULL,
  camera text NOT NULL,
  track bigint NOT NULL,
  time_us bigint NOT NULL,
  x int NOT NULL, y int NOT NULL, width int NOT NULL, height int NOT NULL,
  enrolled boolean NOT NULL DEFAULT false,
  embedding bytea NOT NULL,
  change bigint NOT NULL);
CREATE INDEX IF NOT EXISTS hat_sightings_by_time ON hat_sightings(time_us);
CREATE INDEX IF NOT EXISTS hat_sightings_by_identity ON hat_sightings(identity);
CREATE INDEX IF NOT EXISTS hat_sightings_by_change ON hat_sightings(change);
CREATE TABLE IF NOT EXISTS hat_thumbnails (
  sighting bigint PRIMARY KEY REFERENCES hat_sightings(id) ON DELETE CASCADE,
  identity bigint NOT NULL,
  score double precision NOT NULL,
  jpeg bytea NOT NULL);
CREATE INDEX IF NOT EXISTS hat_thumbnails_by_identity ON hat_thumbnails(identity);
CREATE TABLE IF NOT EXISTS hat_merges (
  id bigserial PRIMARY KEY,
  from_id bigint NOT NULL,
  into_id bigint NOT NULL,
  time_us bigint NOT NULL,
  change bigint NOT NULL);
CREATE INDEX IF NOT EXISTS hat_merges_by_change ON hat_merges(change);
)sql";

constexpr const char* kSightingColumns =
    "id, identity, session, camera, track, time_us, x, y, width, height, enrolled, embedding";

// libpq's messages span lines ("...failed: Connection refused\n\tIs the server running...").
std::string one_line(std::string s) {
  std::string out;
  std::istringstream lines(s);
  for (std::string line; std::getline(lines, line);) {
    const auto b = line.find_first_not_of(" \t");
    if (b == std::string::npos) continue;
    line = line.substr(b);
    if (line.rfind("ERROR:  ", 0) == 0) line = line.substr(8);
    out += (out.empty() ? "" : "; ") + line;
  }
  return out;
}

void ignore_notice(void*, const char*) {}  // "relation already exists, skipping" and the like

std::string seconds(std::chrono::steady_clock::duration d) {
  const double s = std::chrono::duration<double>(d).count();
  std::ostringstream out;
  out.precision(2);
  out << std::max(0.0, s) << " s";
  return out.str();
}
}  // namespace

std::string redact_postgres_uri(const std::string& uri) {
  std::string out = uri;
  // The authority's user:password@.
  const auto scheme = out.find("://");
  if (scheme != std::string::npos) {
    const auto start = scheme + 3;
    const auto end = out.find_first_of("/?", start);
    const auto at = out.rfind('@', end == std::string::npos ? out.size() : end);
    if (at != std::string::npos && at >= start) {
      const auto colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.erase(colon, at - colon);
    }
  }
  // A password=... query parameter.
  for (size_t p; (p = out.find("password=")) != std::string::npos;) {
    if (p == 0 || (out[p - 1] != '?' && out[p - 1] != '&')) break;
    auto end = out.find('&', p);
    const size_t from = out[p - 1] == '&' ? p - 1 : p;
    if (end == std::string::npos)
      end = out.size();
    else if (from == p)
      ++end;  // "?password=x&a=b" -> "?a=b"
    out.erase(from, end - from);
  }
  if (!out.empty() && (out.back() == '?' || out.back() == '&')) out.pop_back();
  return out;
}

struct PostgresGalleryStore::Param {
  std::string value;
  bool null = false;
  bool binary = false;                            // bytea
  Param(int64_t v) : value(std::to_string(v)) {}  // NOLINT: parameters read as their values
  Param(int v) : value(std::to_string(v)) {}      // NOLINT
  Param(double v) {                               // NOLINT
    std::ostringstream s;
    s.precision(17);
    s << v;
    value = s.str();
  }
  Param(std::string v) : value(std::move(v)) {}  // NOLINT
  Param(const char* v) : value(v) {}             // NOLINT
  static Param bytes(std::string v) {
    Param p(std::move(v));
    p.binary = true;
    return p;
  }
  static Param text_or_null(const std::string& v) {
    Param p(v);
    p.null = v.empty();
    return p;
  }
};

class PostgresGalleryStore::Result {
 public:
  explicit Result(PGresult* r) : r_(r) {}
  ~Result() { PQclear(r_); }
  Result(Result&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  Result(const Result&) = delete;
  Result& operator=(const Result&) = delete;
  int rows() const { return PQntuples(r_); }
  bool is_null(int row, int c) const { return PQgetisnull(r_, row, c) != 0; }
  std::string text(int row, int c) const { return PQgetvalue(r_, row, c); }
  int64_t integer(int row, int c) const {
    return std::strtoll(PQgetvalue(r_, row, c), nullptr, 10);
  }
  bool boolean(int row, int c) const { return PQgetvalue(r_, row, c)[0] == 't'; }
  std::string bytes(int row, int c) const {
    size_t n = 0;
    unsigned char* b =
        PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(r_, row, c)), &n);
    if (!b) throw Error("out of memory decoding a bytea value");
    std::string out(reinterpret_cast<const char*>(b), n);
    PQfreemem(b);
    return out;
  }
  int64_t affected() const { return std::strtoll(PQcmdTuples(r_), nullptr, 10); }
  const PGresult* get() const { return r_; }

 private:
  PGresult* r_;
};

// One write: BEGIN, the next value of the change clock (its row lock orders writers by commit),
// the caller's statements, NOTIFY and COMMIT; rolled back when anything throws before COMMIT.
class PostgresGalleryStore::Transaction {
 public:
  Transaction(const PostgresGalleryStore& store, const char* what) : store_(store), what_(what) {
    store_.run("BEGIN", {}, what);
    clock_ = store_
                 .run("UPDATE hat_change_clock SET value = value + 1 WHERE id = 1 RETURNING value",
                      {}, what)
                 .integer(0, 0);
  }
  ~Transaction() {
    if (!done_ && store_.conn_ && PQstatus(store_.conn_) == CONNECTION_OK)
      PQclear(PQexec(store_.conn_, "ROLLBACK"));
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  int64_t clock() const { return clock_; }
  void commit() {
    store_.run("NOTIFY hat_gallery", {}, what_);
    store_.run("COMMIT", {}, what_);
    done_ = true;
  }

 private:
  const PostgresGalleryStore& store_;
  const char* what_;
  int64_t clock_ = 0;
  bool done_ = false;
};

namespace {
// Our defaults come before the URI (expand_dbname), so whatever the URI sets wins.
struct ConnectParams {
  std::vector<const char*> keys, values;
  explicit ConnectParams(const std::string& uri) {
    add("connect_timeout", "5");
    add("application_name", "hat");
    // A dead peer is noticed within seconds, not after the kernel's two hours.
    add("keepalives_idle", "10");
    add("keepalives_interval", "5");
    add("keepalives_count", "3");
    add("tcp_user_timeout", "15000");
    add("dbname", uri.c_str());
    keys.push_back(nullptr);
    values.push_back(nullptr);
  }
  void add(const char* k, const char* v) {
    keys.push_back(k);
    values.push_back(v);
  }
};
}  // namespace

PostgresGalleryStore::PostgresGalleryStore(const std::string& uri,
                                           const GalleryOpenOptions& options)
    : uri_(uri), location_(redact_postgres_uri(uri)), options_(options) {
  ConnectParams params(uri_);
  conn_ = PQconnectdbParams(params.keys.data(), params.values.data(), 1);
  if (!conn_) throw Error("gallery " + location_ + ": cannot connect: out of memory");
  if (PQstatus(conn_) != CONNECTION_OK) {
    const std::string message = one_line(PQerrorMessage(conn_));
    PQfinish(conn_);
    conn_ = nullptr;
    throw Error("gallery " + location_ + ": cannot connect: " + message);
  }
  std::lock_guard<std::mutex> lock(mutex_);
  try {
    on_connected();
    const bool exists =
        run("SELECT to_regclass('hat_gallery_info') IS NOT NULL", {}, "reading its tables")
            .boolean(0, 0);
    if (!exists) {
      if (options_.read_only || !options_.create)
        throw Error("gallery " + location_ +
                    " has no hat gallery yet (its tables are made by the first pipeline or "
                    "enrolment that writes to it)");
      create_schema();
    }
    const Result v = run("SELECT value FROM hat_gallery_info WHERE key = 'schema'", {},
                         "reading its schema version");
    const std::string version = v.rows() ? v.text(0, 0) : "";
    if (version != kSchemaVersion)
      throw Error("gallery " + location_ + " has hat tables of schema version '" + version +
                  "', this build reads version " + kSchemaVersion);
  } catch (...) {
    PQfinish(conn_);
    conn_ = nullptr;
    throw;
  }
  notice_ = false;
}

PostgresGalleryStore::~PostgresGalleryStore() { PQfinish(conn_); }

void PostgresGalleryStore::on_connected() const {
  PQsetNoticeProcessor(conn_, ignore_notice, nullptr);
  run("LISTEN hat_gallery", {}, "listening for other writers");
  run(("SET lock_timeout = " + std::to_string(std::max(1, options_.busy_timeout_ms))).c_str(), {},
      "setting the lock timeout");
  if (options_.read_only) run("SET default_transaction_read_only = on", {}, "opening read-only");
}

void PostgresGalleryStore::connection_failed(const std::string& detail) const {
  last_error_ = detail;
  connecting_ = false;
  const auto wait = backoff_;
  next_attempt_ = std::chrono::steady_clock::now() + wait;
  backoff_ = std::min<std::chrono::milliseconds>(2 * backoff_, std::chrono::seconds(30));
  throw Error("gallery " + location_ + " is unreachable (" + detail + "); retrying in " +
              seconds(wait));
}

pg_conn* PostgresGalleryStore::connection() const {
  if (conn_ && !connecting_ && PQstatus(conn_) == CONNECTION_OK) return conn_;
  const auto now = std::chrono::steady_clock::now();
  if (!connecting_) {
    if (now < next_attempt_)
      throw Error("gallery " + location_ + " is unreachable (" + last_error_ + "); retrying in " +
                  seconds(next_attempt_ - now));
    PQfinish(conn_);
    ConnectParams params(uri_);
    conn_ = PQconnectStartParams(params.keys.data(), params.values.data(), 1);
    if (!conn_ || PQstatus(conn_) == CONNECTION_BAD)
      connection_failed(conn_ ? one_line(PQerrorMessage(conn_)) : "out of memory");
    connecting_ = true;
    poll_state_ = PGRES_POLLING_WRITING;
  }
  // Drive the handshake as far as the socket allows now, never waiting on it.
  for (;;) {
    pollfd p{PQsocket(conn_),
             static_cast<short>(poll_state_ == PGRES_POLLING_READING ? POLLIN : POLLOUT), 0};
    if (p.fd >= 0 && ::poll(&p, 1, 0) == 0)
      throw Error("gallery " + location_ + " is unreachable (" + last_error_ + "); reconnecting");
    poll_state_ = PQconnectPoll(conn_);
    if (poll_state_ == PGRES_POLLING_OK) break;
    if (poll_state_ == PGRES_POLLING_FAILED) connection_failed(one_line(PQerrorMessage(conn_)));
  }
  connecting_ = false;
  backoff_ = std::chrono::milliseconds(500);
  on_connected();
  notice_ = true;  // what was written while we were away is read at once
  return conn_;
}

PostgresGalleryStore::Result PostgresGalleryStore::run(const char* sql,
                                                       const std::vector<Param>& params,
                                                       const char* what) const {
  pg_conn* c = connection();
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  for (const auto& p : params) {
    values.push_back(p.null ? nullptr : p.value.data());
    lengths.push_back(static_cast<int>(p.value.size()));
    formats.push_back(p.binary ? 1 : 0);
  }
  // Without parameters, the simple protocol: it also runs several statements (the schema).
  Result r(params.empty() ? PQexec(c, sql)
                          : PQexecParams(c, sql, static_cast<int>(params.size()), nullptr,
                                         values.data(), lengths.data(), formats.data(), 0));
  const PGresult* res = r.get();
  const ExecStatusType status = PQresultStatus(res);
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return r;
  if (PQstatus(c) == CONNECTION_BAD) {
    // The server went away: reconnect at the next call, at once.
    const std::string message = one_line(PQerrorMessage(c));
    next_attempt_ = std::chrono::steady_clock::now();
    last_error_ = message;
    throw Error("gallery " + location_ + ": connection lost while " + what + " (" + message +
                "); nothing of this write was saved, reconnecting");
  }
  const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
  const char* primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
  const std::string message = primary ? primary : one_line(PQresultErrorMessage(res));
  const std::string code = state ? state : "";
  if (code == "42501")
    throw Error("gallery " + location_ + ": permission denied while " + what + " (" + message +
                "): the role needs the grants in docs/SCALE.md");
  if (code == "55P03")
    throw Error("gallery " + location_ + " is locked by another writer (waited " +
                std::to_string(options_.busy_timeout_ms) + " ms) while " + what);
  if (code == "25006") throw Error("gallery " + location_ + " is open read-only: cannot " + what);
  if (code == "53100")
    throw Error("gallery " + location_ + ": the database server's disk is full while " + what +
                "; nothing of this write was saved");
  throw Error("gallery " + location_ + ": " + message + " while " + what);
}

void PostgresGalleryStore::create_schema() const {
  // Two hosts may start on an empty database at once: the advisory lock makes the second wait
  // for the first one's tables instead of failing on a half-made catalogue.
  run("BEGIN", {}, "creating its tables");
  try {
    run("SELECT pg_advisory_xact_lock($1)", {kSchemaLock}, "creating its tables");
    run(kSchema, {}, "creating its tables");
    run("INSERT INTO hat_gallery_info VALUES ('schema', $1) ON CONFLICT DO NOTHING",
        {kSchemaVersion}, "creating its tables");
    run("COMMIT", {}, "creating its tables");
  } catch (...) {
    if (PQstatus(conn_) == CONNECTION_OK) PQclear(PQexec(conn_, "ROLLBACK"));
    throw;
  }
}

std::optional<EmbeddingSpace> PostgresGalleryStore::space() const {
  std::lock_guard<std::mutex> lock(mutex_);
  const Result r =
      run("SELECT (SELECT value FROM hat_gallery_info WHERE key = 'model'),"
          " (SELECT value FROM hat_gallery_info WHERE key = 'dim')",
          {}, "reading its embedding space");
  if (r.is_null(0, 0)) return std::nullopt;
  return EmbeddingSpace{r.text(0, 0), std::atoi(r.text(0, 1).c_str())};
}

void PostgresGalleryStore::require_space(const EmbeddingSpace& space) {
  if (check_space(space)) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Transaction t(*this, "recording the embedding space");
    // Another host may have recorded one since the read above: the first one stays.
    run("INSERT INTO hat_gallery_info VALUES ('model', $1), ('dim', $2) ON CONFLICT DO NOTHING",
        {space.model, space.dim}, "recording the embedding space");
    t.commit();
  }
  check_space(space);
}

int64_t PostgresGalleryStore::create_identity(const std::string& label, int64_t time_us) {
  std::lock_guard<std::mutex> lock(mutex_);
  Transaction t(*this, "creating an identity");
  const int64_t id =
      run("INSERT INTO hat_identities (label, created_us, change) VALUES ($1, $2, $3) RETURNING id",
          {Param::text_or_null(label), time_us, t.clock()}, "creating an identity")
          .integer(0, 0);
  t.commit();
  return id;
}

std::optional<int64_t> PostgresGalleryStore::identity_by_label(const std::string& label) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const Result r =
      run("SELECT id FROM hat_identities WHERE label = $1", {label}, "looking up a label");
  if (!r.rows()) return std::nullopt;
  return r.integer(0, 0);
}

void PostgresGalleryStore::add_sightings(std::vector<SightingRecord>& sightings,
                                         int thumbnails_per_identity) {
  if (sightings.empty()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<int64_t> ids;
  Transaction t(*this, "writing sightings");
  for (const auto& s : sightings) {
    // A sighting of an identity deleted meanwhile is dropped, as in the SQLite gallery.
    const Result r =
        run("INSERT INTO hat_sightings (identity, session, camera, track, time_us, x, y, width,"
            " height, enrolled, embedding, change) SELECT $1::bigint, $2::bigint, $3, $4::bigint,"
            " $5::bigint, $6::int, $7::int, $8::int, $9::int, $10::boolean, $11::bytea, $12::bigint"
            " WHERE EXISTS (SELECT 1 FROM hat_identities WHERE id = $1::bigint) RETURNING id",
            {s.identity, static_cast<int64_t>(s.session), s.camera, s.track, s.time_us, s.box.x,
             s.box.y, s.box.width, s.box.height, s.enrolled ? "true" : "false",
             Param::bytes(encode_half(s.embedding.data(), s.embedding.size())), t.clock()},
            "writing a sighting");
    ids.push_back(r.rows() ? r.integer(0, 0) : 0);
  }
  if (thumbnails_per_identity > 0) {
    std::set<int64_t> touched;
    for (size_t i = 0; i < sightings.size(); ++i) {
      if (sightings[i].thumbnail_jpeg.empty() || ids[i] == 0) continue;
      run("INSERT INTO hat_thumbnails (sighting, identity, score, jpeg) VALUES ($1, $2, $3, $4)",
          {ids[i], sightings[i].identity, sightings[i].thumbnail_score,
           Param::bytes(sightings[i].thumbnail_jpeg)},
          "writing a thumbnail");
      touched.insert(sightings[i].identity);
    }
    // The best-scored crop of an identity stays, and the newest others up to the bound.
    for (const int64_t identity : touched)
      run("WITH best AS (SELECT sighting FROM hat_thumbnails WHERE identity = $1"
          "  ORDER BY score DESC, sighting DESC LIMIT 1),"
          " keep AS (SELECT sighting FROM best UNION ALL (SELECT sighting FROM hat_thumbnails"
          "  WHERE identity = $1 AND sighting NOT IN (SELECT sighting FROM best)"
          "  ORDER BY sighting DESC LIMIT $2))"
          " DELETE FROM hat_thumbnails WHERE identity = $1"
          " AND sighting NOT IN (SELECT sighting FROM keep)",
          {identity, thumbnails_per_identity - 1}, "trimming thumbnails");
  }
  t.commit();
  // Only once committed: a failed write leaves the records as they were, ready for a retry.
  for (size_t i = 0; i < sightings.size(); ++i) sightings[i].id = ids[i];
}

void PostgresGalleryStore::merge_identity(int64_t from, int64_t into, int64_t time_us) {
  std::lock_guard<std::mutex> lock(mutex_);
  Transaction t(*this, "merging identities");
  run("UPDATE hat_sightings SET identity = $1 WHERE identity = $2", {into, from},
      "merging identities");
  run("UPDATE hat_thumbnails SET identity = $1 WHERE identity = $2", {into, from},
      "merging identities");
  run("DELETE FROM hat_identities WHERE id = $1 AND label IS NULL", {from}, "merging identities");
  run("INSERT INTO hat_merges (from_id, into_id, time_us, change) VALUES ($1, $2, $3, $4)",
      {from, into, time_us, t.clock()}, "recording a merge");
  t.commit();
}

void PostgresGalleryStore::read_sighting(const Result& r, int row, SightingRecord& s,
                                         int expected_dim) const {
  s.id = r.integer(row, 0);
  s.identity = r.integer(row, 1);
  s.session = static_cast<uint64_t>(r.integer(row, 2));
  s.camera = r.text(row, 3);
  s.track = r.integer(row, 4);
  s.time_us = r.integer(row, 5);
  s.box = {static_cast<int>(r.integer(row, 6)), static_cast<int>(r.integer(row, 7)),
           static_cast<int>(r.integer(row, 8)), static_cast<int>(r.integer(row, 9))};
  s.enrolled = r.boolean(row, 10);
  s.embedding.clear();
  if (expected_dim < 0) return;
  const std::string blob = r.bytes(row, 11);
  if (expected_dim > 0 && blob.size() != 2 * static_cast<size_t>(expected_dim))
    throw Error("gallery " + location_ + ": sighting " + std::to_string(s.id) + " has a " +
                std::to_string(blob.size()) + "-byte embedding, expected " +
                std::to_string(2 * expected_dim));
  s.embedding = decode_half(blob.data(), blob.size() / 2);
}

GalleryChanges PostgresGalleryStore::changes_since(GalleryCursor& cursor, uint64_t session) const {
  std::lock_guard<std::mutex> lock(mutex_);
  GalleryChanges changes;
  GalleryCursor next = cursor;
  // One snapshot of the three tables.
  run("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", {}, "reading new writes");
  try {
    {
      const Result r =
          run("SELECT id, coalesce(label, ''), created_us, change FROM hat_identities"
              " WHERE change > $1 ORDER BY change, id",
              {cursor.identity}, "reading new identities");
      for (int i = 0; i < r.rows(); ++i) {
        changes.identities.push_back({r.integer(i, 0), r.text(i, 1), r.integer(i, 2)});
        next.identity = std::max(next.identity, r.integer(i, 3));
      }
    }
    {
      const std::string sql = std::string("SELECT ") + kSightingColumns +
                              ", change FROM hat_sightings WHERE change > $1 AND session <> $2"
                              " ORDER BY change, id";
      const Result r = run(sql.c_str(), {cursor.sighting, static_cast<int64_t>(session)},
                           "reading new sightings");
      for (int i = 0; i < r.rows(); ++i) {
        SightingRecord s;
        read_sighting(r, i, s, 0);
        changes.sightings.push_back(std::move(s));
        next.sighting = std::max(next.sighting, r.integer(i, 12));
      }
      // The session's own sightings are left out but still move the cursor.
      const Result m = run("SELECT coalesce(max(change), 0) FROM hat_sightings WHERE change > $1",
                           {cursor.sighting}, "reading new sightings");
      next.sighting = std::max(next.sighting, m.integer(0, 0));
    }
    {
      const Result r = run(
          "SELECT from_id, into_id, change FROM hat_merges WHERE change > $1 ORDER BY change, id",
          {cursor.merge}, "reading merges");
      for (int i = 0; i < r.rows(); ++i) {
        changes.merges.emplace_back(r.integer(i, 0), r.integer(i, 1));
        next.merge = std::max(next.merge, r.integer(i, 2));
      }
    }
    run("COMMIT", {}, "reading new writes");
  } catch (...) {
    if (conn_ && PQstatus(conn_) == CONNECTION_OK) PQclear(PQexec(conn_, "ROLLBACK"));
    throw;
  }
  cursor = next;
  return changes;
}

bool PostgresGalleryStore::take_change_notice() {
  std::lock_guard<std::mutex> lock(mutex_);
  try {
    connection();
  } catch (const Error&) {
    return false;  // the next operation reports the outage
  }
  if (PQconsumeInput(conn_) == 1) {
    const int self = PQbackendPID(conn_);
    while (PGnotify* n = PQnotifies(conn_)) {
      if (n->be_pid != self) notice_ = true;
      PQfreemem(n);
    }
  }
  return std::exchange(notice_, false);
}

std::vector<IdentityRecord> PostgresGalleryStore::identity_records() const {
  std::lock_guard<std::mutex> lock(mutex_);
  const Result r = run("SELECT id, coalesce(label, ''), created_us FROM hat_identities ORDER BY id",
                       {}, "listing identities");
  std::vector<IdentityRecord> out;
  for (int i = 0; i < r.rows(); ++i)
    out.push_back({r.integer(i, 0), r.text(i, 1), r.integer(i, 2)});
  return out;
}

std::vector<IdentitySummary> PostgresGalleryStore::identities() const {
  std::lock_guard<std::mutex> lock(mutex_);
  const Result r = run(
      "SELECT i.id, coalesce(i.label, ''), i.created_us, count(s.id), coalesce(min(s.time_us), 0),"
      " coalesce(max(s.time_us), 0), coalesce(string_agg(DISTINCT s.camera, ',' ORDER BY"
      " s.camera), '') FROM hat_identities i LEFT JOIN hat_sightings s ON s.identity = i.id"
      " GROUP BY i.id ORDER BY i.id",
      {}, "listing identities");
  std::vector<IdentitySummary> out;
  for (int i = 0; i < r.rows(); ++i) {
    IdentitySummary s;
    s.identity = {r.integer(i, 0), r.text(i, 1), r.integer(i, 2)};
    s.sightings = r.integer(i, 3);
    s.first_us = r.integer(i, 4);
    s.last_us = r.integer(i, 5);
    std::istringstream cameras(r.text(i, 6));
    for (std::string c; std::getline(cameras, c, ',');) s.cameras.push_back(c);
    out.push_back(std::move(s));
  }
  return out;
}

void PostgresGalleryStore::for_each_sighting(
    const std::function<void(const SightingRecord&)>& visit, bool with_embeddings) const {
  const auto space = this->space();
  const int dim = !with_embeddings ? -1 : space ? space->dim : 0;
  const std::string sql = std::string("SELECT ") + kSightingColumns +
                          " FROM hat_sightings WHERE id > $1 ORDER BY id LIMIT 4096";
  SightingRecord s;
  // Pages by id, so a large gallery is never held in memory at once.
  for (int64_t after = 0;;) {
    std::vector<SightingRecord> page;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const Result r = run(sql.c_str(), {after}, "reading sightings");
      for (int i = 0; i < r.rows(); ++i) {
        read_sighting(r, i, s, dim);
        page.push_back(s);
      }
    }
    if (page.empty()) return;
    after = page.back().id;
    for (const auto& p : page) visit(p);
  }
}

std::vector<SightingRecord> PostgresGalleryStore::sightings_of(int64_t identity,
                                                               const SightingFilter& filter) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const std::string sql =
      std::string("SELECT ") + kSightingColumns +
      ", EXISTS (SELECT 1 FROM hat_thumbnails t WHERE t.sighting = s.id) FROM hat_sightings s"
      " WHERE identity = $1 AND time_us >= $2 AND time_us <= $3 AND ($4 = '' OR camera = $4)"
      " ORDER BY time_us DESC, id DESC LIMIT $5";
  const Result r =
      run(sql.c_str(), {identity, filter.from_us, filter.to_us, filter.camera, filter.limit},
          "reading sightings");
  std::vector<SightingRecord> out;
  for (int i = 0; i < r.rows(); ++i) {
    SightingRecord s;
    read_sighting(r, i, s, -1);
    s.has_thumbnail = r.boolean(i, 12);
    out.push_back(std::move(s));
  }
  return out;
}

std::optional<std::string> PostgresGalleryStore::thumbnail(int64_t sighting) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const Result r =
      run("SELECT jpeg FROM hat_thumbnails WHERE sighting = $1", {sighting}, "reading a thumbnail");
  if (!r.rows()) return std::nullopt;
  return r.bytes(0, 0);
}

std::optional<int64_t> PostgresGalleryStore::best_thumbnail(int64_t identity) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const Result r = run(
      "SELECT sighting FROM hat_thumbnails WHERE identity = $1 ORDER BY score DESC, sighting DESC"
      " LIMIT 1",
      {identity}, "reading thumbnails");
  if (!r.rows()) return std::nullopt;
  return r.integer(0, 0);
}

void PostgresGalleryStore::rename_identity(int64_t id, const std::string& label) {
  std::lock_guard<std::mutex> lock(mutex_);
  Transaction t(*this, "renaming an identity");
  if (!label.empty()) {
    const Result other = run("SELECT id FROM hat_identities WHERE label = $1 AND id <> $2",
                             {label, id}, "looking up a label");
    if (other.rows())
      throw Error("gallery " + location_ + ": the label '" + label + "' is identity " +
                  other.text(0, 0) + "'s already");
  }
  // A new change stamp: followers read the identity again, with its new label.
  const Result r = run("UPDATE hat_identities SET label = $1, change = $2 WHERE id = $3",
                       {Param::text_or_null(label), t.clock(), id}, "renaming an identity");
  if (r.affected() == 0)
    throw Error("gallery " + location_ + ": no identity " + std::to_string(id));
  t.commit();
}

bool PostgresGalleryStore::delete_identity(int64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  Transaction t(*this, "deleting an identity");
  // Its sightings and thumbnails go with it (cascade).
  const bool deleted =
      run("DELETE FROM hat_identities WHERE id = $1", {id}, "deleting an identity").affected() > 0;
  t.commit();
  return deleted;
}

int64_t PostgresGalleryStore::sighting_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return run("SELECT count(*) FROM hat_sightings", {}, "counting sightings").integer(0, 0);
}

GalleryStore::PurgeResult PostgresGalleryStore::purge_before(int64_t time_us) {
  std::lock_guard<std::mutex> lock(mutex_);
  PurgeResult result;
  Transaction t(*this, "purging");
  result.sightings = run("DELETE FROM hat_sightings WHERE time_us < $1 AND NOT enrolled", {time_us},
                         "purging sightings")
                         .affected();
  // Only identities older than the cut: one created a moment ago may not have its first
  // sighting yet.
  result.identities =
      run("DELETE FROM hat_identities i WHERE label IS NULL AND created_us < $1 AND NOT EXISTS"
          " (SELECT 1 FROM hat_sightings s WHERE s.identity = i.id)",
          {time_us}, "purging identities")
          .affected();
  t.commit();
  return result;
}

std::string PostgresGalleryStore::integrity_check() const {
  std::lock_guard<std::mutex> lock(mutex_);
  const Result r = run(
      "SELECT (SELECT count(*) FROM hat_sightings s WHERE NOT EXISTS (SELECT 1 FROM"
      " hat_identities i WHERE i.id = s.identity)), (SELECT count(*) FROM hat_thumbnails t WHERE"
      " NOT EXISTS (SELECT 1 FROM hat_sightings s WHERE s.id = t.sighting))",
      {}, "checking integrity");
  const int64_t orphans = r.integer(0, 0), thumbnails = r.integer(0, 1);
  if (orphans == 0 && thumbnails == 0) return "ok";
  return std::to_string(orphans) + " sightings without their identity, " +
         std::to_string(thumbnails) + " thumbnails without their sighting";
}

}  // namespace hat
