// The gallery in an SQLite file, shared by every pipeline and tool on one machine.
//
// WAL mode lets readers run beside the one writer; every write is one IMMEDIATE transaction, so
// a killed process leaves the file readable with every committed sighting. Ids only grow
// (AUTOINCREMENT), which lets another process follow the changes by id; followers poll
// (take_change_notice is always false). The file is created owner-only (0600): it holds
// biometric templates.
#pragma once

#include "gallery/gallery_store.h"

struct sqlite3;

namespace hat {

class SqliteGalleryStore final : public GalleryStore {
 public:
  // hat::Error, naming the file, for a missing (with create=false), unreadable, read-only,
  // locked, corrupt or foreign file; the file is then left as it was.
  explicit SqliteGalleryStore(std::string path, const GalleryOpenOptions& options = {});
  ~SqliteGalleryStore() override;

  const std::string& location() const override { return path_; }
  std::optional<EmbeddingSpace> space() const override;
  void require_space(const EmbeddingSpace& space) override;
  int64_t create_identity(const std::string& label, int64_t time_us) override;
  std::optional<int64_t> identity_by_label(const std::string& label) const override;
  void add_sightings(std::vector<SightingRecord>& sightings,
                     int thumbnails_per_identity = 8) override;
  void merge_identity(int64_t from, int64_t into, int64_t time_us) override;
  GalleryChanges changes_since(GalleryCursor& cursor, uint64_t session) const override;
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
  class Statement;
  friend class Statement;
  void exec(const char* sql) const;
  [[noreturn]] void fail(int rc, const std::string& what) const;
  void with_transaction(const std::function<void()>& body);
  void switch_to_wal();
  void create_schema();
  void upgrade_to_thumbnails();
  // A row of kSightingColumns; the embedding is decoded unless `expected_dim` < 0, and checked
  // against it when > 0.
  void read_sighting(const Statement& q, SightingRecord& s, int expected_dim) const;

  std::string path_;
  int busy_timeout_ms_ = 0;
  bool has_thumbnails_ = true;  // false for a version-1 file opened read-only
  sqlite3* db_ = nullptr;
};

}  // namespace hat
