// The gallery in a PostgreSQL database, for sites whose NVR hosts must agree on who is who: every
// host's hatmatch writes its sightings to the one database and matches the others' as its own.
//
// Location: a libpq URI, postgresql://user@host:port/db?sslmode=verify-full&... Credentials come
// from the URI, the password file (PGPASSFILE, ~/.pgpass) or the environment (PGPASSWORD ...),
// as libpq reads them; every message names the URI without its password. TLS and other
// connection options in the URI reach libpq as they are. The role needs no superuser: CONNECT
// on the database, and CREATE on its schema for the first start (which creates the hat_*
// tables), then SELECT, INSERT, UPDATE, DELETE on them and USAGE on their sequences
// (docs/SCALE.md has the grants).
//
// Ids come from sequences, so two hosts never clash. Followers: every write transaction takes
// the next value of one change clock (a row lock held to commit, so clock order is commit order)
// and stamps its rows with it; changes_since reads the rows stamped after the cursor, and the
// write's NOTIFY on channel hat_gallery makes take_change_notice true on every other connection,
// so a sighting written on one host is matchable on the next frame of another.
//
// A lost server is not fatal: an operation fails fast with a hat::Error ("unreachable ...,
// retrying in N s") while a non-blocking reconnection runs with back-off (0.5 s to 30 s), driven
// by the calls themselves; nothing blocks for longer than one connection poll. A write whose
// connection broke was rolled back by the server (or, if the break came during COMMIT, may have
// committed: the retry can then add the same sighting twice, which matching tolerates).
#pragma once

#include <chrono>
#include <mutex>
#include <string>

#include "gallery/gallery_store.h"

struct pg_conn;
struct pg_result;

namespace hat {

// `uri` without its password (in the authority or as a password= parameter).
std::string redact_postgres_uri(const std::string& uri);

class PostgresGalleryStore final : public GalleryStore {
 public:
  // Connects (connect_timeout 5 s unless the URI sets one) and creates the tables when missing
  // (unless read_only or !create). hat::Error naming the redacted URI for a wrong password, an
  // unreachable host, a missing database, missing grants, or a database whose hat tables are of
  // another schema version.
  explicit PostgresGalleryStore(const std::string& uri, const GalleryOpenOptions& options = {});
  ~PostgresGalleryStore() override;

  const std::string& location() const override { return location_; }
  std::optional<EmbeddingSpace> space() const override;
  void require_space(const EmbeddingSpace& space) override;
  int64_t create_identity(const std::string& label, int64_t time_us) override;
  std::optional<int64_t> identity_by_label(const std::string& label) const override;
  void add_sightings(std::vector<SightingRecord>& sightings,
                     int thumbnails_per_identity = 8) override;
  void merge_identity(int64_t from, int64_t into, int64_t time_us) override;
  GalleryChanges changes_since(GalleryCursor& cursor, uint64_t session) const override;
  bool take_change_notice() override;
  std::vector<IdentitySummary> identities() const override;
  std::vector<SightingRecord> sightings_of(int64_t identity,
                                           const SightingFilter& filter) const override;
  std::optional<std::string> thumbnail(int64_t sighting) const override;
  std::optional<int64_t> best_thumbnail(int64_t identity) const override;
  void rename_identity(int64_t id, const std::string& label) override;
  bool delete_identity(int64_t id) override;
  std::vector<IdentityRecord> identity_records() const override;
  void for_each_sighting(const std::function<void(const SightingRecord&)>& visit,
                         bool with_embeddings) const override;
  int64_t sighting_count() const override;
  PurgeResult purge_before(int64_t time_us) override;
  std::string integrity_check() const override;

 private:
  class Result;
  class Transaction;
  friend class Transaction;
  // The open connection; reconnects without blocking (see above), hat::Error while it cannot.
  pg_conn* connection() const;
  void on_connected() const;
  struct Param;
  // Runs one statement (the caller holds mutex_); hat::Error naming `what` when it fails.
  Result run(const char* sql, const std::vector<Param>& params, const char* what) const;
  [[noreturn]] void connection_failed(const std::string& detail) const;
  void create_schema() const;
  void read_sighting(const Result& r, int row, SightingRecord& s, int expected_dim) const;

  std::string uri_, location_;
  GalleryOpenOptions options_;
  mutable std::mutex mutex_;  // one libpq connection: every call is serialised
  mutable pg_conn* conn_ = nullptr;
  mutable bool connecting_ = false;
  mutable bool notice_ = false;
  mutable int poll_state_ = 0;  // the last PQconnectPoll result while connecting
  mutable std::chrono::steady_clock::time_point next_attempt_{};
  mutable std::chrono::milliseconds backoff_{500};
  mutable std::string last_error_;
};

}  // namespace hat
